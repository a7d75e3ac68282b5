namespace CartCall.Domain.Experiments;

/// <summary>A point estimate with its 95% confidence interval.</summary>
public readonly record struct Estimate(double Value, double Lower, double Upper)
{
    /// <summary>True when the whole interval lies above zero.</summary>
    public bool ExcludesZeroAbove => Lower > 0;

    /// <summary>True when the whole interval lies below zero.</summary>
    public bool ExcludesZeroBelow => Upper < 0;

    public Estimate Scale(double factor) => factor >= 0
        ? new(Value * factor, Lower * factor, Upper * factor)
        : new(Value * factor, Upper * factor, Lower * factor);

    public Estimate Shift(double amount) => new(Value + amount, Lower + amount, Upper + amount);
}

/// <summary>
/// The interval arithmetic behind the uplift report (methods in Experiments/README.md): Wilson score intervals for a
/// proportion, Newcombe's hybrid score interval (his method 10) for a difference of two proportions, and a normal
/// approximation with unpooled (Welch) variances for a difference of two means.
/// </summary>
public static class Intervals
{
    /// <summary>The 97.5th percentile of the standard normal distribution: two-sided 95%.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>Wilson score interval for <paramref name="successes"/> out of <paramref name="trials"/> (no continuity correction).</summary>
    /// <remarks>With no trials nothing is known: the interval is [0, 1] around 0.</remarks>
    public static Estimate Wilson(int successes, int trials, double z = Z95)
    {
        if (trials < 0 || successes < 0 || successes > trials)
        {
            throw new ArgumentOutOfRangeException(nameof(successes), $"{successes} successes out of {trials} trials is not a proportion.");
        }

        if (trials == 0)
        {
            return new Estimate(0, 0, 1);
        }

        double n = trials;
        var p = successes / n;
        var z2 = z * z;
        var denominator = 1 + (z2 / n);
        var centre = (p + (z2 / (2 * n))) / denominator;
        var half = z / denominator * Math.Sqrt((p * (1 - p) / n) + (z2 / (4 * n * n)));
        // Clamp away rounding just outside [0, 1] at the extremes (0 or n successes).
        return new Estimate(p, Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>
    /// Newcombe's hybrid score interval for p1 − p2 of two independent proportions, built from their Wilson intervals:
    /// L = d − √((p1 − l1)² + (u2 − p2)²), U = d + √((u1 − p1)² + (p2 − l2)²).
    /// </summary>
    public static Estimate NewcombeDifference(int successes1, int trials1, int successes2, int trials2, double z = Z95)
    {
        var a = Wilson(successes1, trials1, z);
        var b = Wilson(successes2, trials2, z);
        var d = a.Value - b.Value;
        var lower = d - Math.Sqrt(Square(a.Value - a.Lower) + Square(b.Upper - b.Value));
        var upper = d + Math.Sqrt(Square(a.Upper - a.Value) + Square(b.Value - b.Lower));
        return new Estimate(d, Math.Max(-1, lower), Math.Min(1, upper));
    }

    /// <summary>
    /// Mean1 − mean2 with a normal-approximation interval from unpooled sample variances:
    /// d ± z·√(s1²/n1 + s2²/n2). Needs at least two observations per group (otherwise the interval is unbounded).
    /// </summary>
    public static Estimate MeanDifference(SampleMoments first, SampleMoments second, double z = Z95)
    {
        var d = first.Mean - second.Mean;
        if (first.Count < 2 || second.Count < 2)
        {
            return new Estimate(d, double.NegativeInfinity, double.PositiveInfinity);
        }

        var se = Math.Sqrt((first.Variance / first.Count) + (second.Variance / second.Count));
        return new Estimate(d, d - (z * se), d + (z * se));
    }

    private static double Square(double x) => x * x;
}

/// <summary>Count, mean and unbiased sample variance, accumulated in one pass (Welford) so sums of money stay exact enough.</summary>
public struct SampleMoments
{
    private double m2;

    public int Count { get; private set; }

    public double Mean { get; private set; }

    /// <summary>Sample variance (n − 1 in the denominator); 0 with fewer than two observations.</summary>
    public readonly double Variance => Count > 1 ? m2 / (Count - 1) : 0;

    public void Add(double x)
    {
        Count++;
        var delta = x - Mean;
        Mean += delta / Count;
        m2 += delta * (x - Mean);
    }

    public static SampleMoments Of(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var moments = new SampleMoments();
        foreach (var v in values)
        {
            moments.Add(v);
        }

        return moments;
    }
}
