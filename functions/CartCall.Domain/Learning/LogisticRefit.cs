using System.Collections.ObjectModel;
using System.Globalization;
using CartCall.Domain.Scoring;

namespace CartCall.Domain.Learning;

/// <summary>
/// One labelled moment: the features a decision saw and whether the session was then abandoned.
/// </summary>
/// <param name="Weight">How much this example counts; the snapshots of one session usually share a weight of 1.</param>
/// <param name="Group">The session it came from: snapshots of one session are not independent, so comparisons
/// aggregate per group (null: the example is its own group).</param>
public sealed record TrainingExample(SessionFeatures Features, bool Abandoned, double Weight = 1.0, string? Group = null);

/// <summary>How a refit runs and when it may run at all. Defaults and their reasons in Scoring/README.md ("Weights that learn").</summary>
public sealed record RefitOptions
{
    /// <summary>
    /// Ridge strength λ: the fit maximises log-likelihood − λ/2 · Σ (w − prior)² over the feature weights (the intercept
    /// is not penalised). With per-session weights summing to the number of sessions, λ = 2 is worth about two
    /// sessions of evidence per weight: it steadies small samples and fades as data grows.
    /// </summary>
    public double L2 { get; init; } = 2.0;

    /// <summary>Newton steps at most; a well-posed fit converges in under ten.</summary>
    public int MaxIterations { get; init; } = 30;

    /// <summary>Converged when no weight moves by more than this in a step.</summary>
    public double Tolerance { get; init; } = 1e-7;

    /// <summary>Fewer sessions than this (summed example weight) and no refit is attempted.</summary>
    public double MinSessions { get; init; } = 1_000;

    /// <summary>
    /// Fewer sessions than this of the rarer outcome (abandoned or completed) and no refit is attempted: 300 is 20 per
    /// model weight, twice the usual "10 events per variable" rule for logistic regression.
    /// </summary>
    public double MinPerOutcome { get; init; } = 300;

    public static RefitOptions Default { get; } = new();

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!(L2 >= 0) || !double.IsFinite(L2))
        {
            problems.Add("refit.l2 must be a finite number of at least 0.");
        }

        if (MaxIterations is < 1 or > 1000)
        {
            problems.Add("refit.maxIterations must be between 1 and 1000.");
        }

        if (!(Tolerance > 0))
        {
            problems.Add("refit.tolerance must be positive.");
        }

        if (!(MinSessions >= 0) || !(MinPerOutcome >= 0))
        {
            problems.Add("refit.minSessions and refit.minPerOutcome must not be negative.");
        }

        return problems;
    }
}

/// <summary>What a refit produced.</summary>
/// <param name="Fitted">False when the data were not enough (see <see cref="Problems"/>); <see cref="Weights"/> are then the prior.</param>
/// <param name="Sessions">Summed example weight.</param>
/// <param name="LogLoss">Mean (weighted) log loss of the fitted model on its training data.</param>
public sealed record RefitResult(
    bool Fitted,
    ScoringWeights Weights,
    int Examples,
    double Sessions,
    double AbandonedSessions,
    double CompletedSessions,
    int Iterations,
    bool Converged,
    double LogLoss,
    IReadOnlyList<string> Problems);

/// <summary>
/// Refits the scorer's weights by L2-regularised logistic regression over the scorer's own feature transforms, so the
/// result plugs into <see cref="CartScorer"/> unchanged and every score it makes is explained by the same features.
/// Newton–Raphson (iteratively reweighted least squares) with a Cholesky solve of the 15×15 system and step halving;
/// plain C#, no allocations per example beyond one design matrix.
/// </summary>
public static class LogisticRefit
{
    private static readonly int Features = FeatureSpecs.All.Count;
    private static readonly int Dimensions = Features + 1; // column 0 is the intercept

    /// <param name="prior">The weights the penalty pulls towards, and the answer when data are short (default: the live
    /// weights the caller passes; null pulls towards zero and falls back to <see cref="ScoringWeights.Default"/>).</param>
    public static RefitResult Fit(IReadOnlyList<TrainingExample> examples, RefitOptions? options = null, ScoringWeights? prior = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        options ??= RefitOptions.Default;
        var optionProblems = options.Validate();
        if (optionProblems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", optionProblems), nameof(options));
        }

        var d = Dimensions;
        var n = examples.Count;
        var x = new double[n * d];
        var y = new double[n];
        var w = new double[n];
        double sessions = 0, abandoned = 0;
        for (var i = 0; i < n; i++)
        {
            var e = examples[i] ?? throw new ArgumentException($"Example {i} is null.", nameof(examples));
            var weight = double.IsFinite(e.Weight) && e.Weight > 0 ? e.Weight : 0;
            w[i] = weight;
            y[i] = e.Abandoned ? 1 : 0;
            sessions += weight;
            abandoned += e.Abandoned ? weight : 0;
            var row = i * d;
            x[row] = 1;
            for (var j = 0; j < Features; j++)
            {
                x[row + 1 + j] = FeatureSpecs.All[j].Apply(e.Features.Raw((Feature)j));
            }
        }

        var completed = sessions - abandoned;
        var centre = new double[d];
        var fallback = prior ?? ScoringWeights.Default;
        if (prior is not null)
        {
            centre[0] = prior.Intercept;
            for (var j = 0; j < Features; j++)
            {
                centre[1 + j] = prior.WeightOf(FeatureNames.All[j]);
            }
        }

        var problems = new List<string>();
        if (sessions < options.MinSessions)
        {
            problems.Add(Invariant($"Only {sessions:0} sessions with outcomes; a refit needs at least {options.MinSessions:0}."));
        }

        if (Math.Min(abandoned, completed) < options.MinPerOutcome)
        {
            problems.Add(Invariant($"Only {abandoned:0} abandoned and {completed:0} completed sessions; a refit needs at least {options.MinPerOutcome:0} of each."));
        }

        if (problems.Count > 0)
        {
            return new RefitResult(false, fallback, n, sessions, abandoned, completed, 0, false, double.NaN, problems);
        }

        // Start from the prior's slopes with the intercept at the base rate: close to the answer, so few steps.
        var beta = (double[])centre.Clone();
        beta[0] = Math.Log((abandoned + 0.5) / (completed + 0.5));
        var lambda = options.L2;
        var gradient = new double[d];
        var hessian = new double[d * d];
        var step = new double[d];
        var candidate = new double[d];
        var objective = Objective(x, y, w, beta, centre, lambda, n, d);
        var iterations = 0;
        var converged = false;

        while (iterations < options.MaxIterations)
        {
            iterations++;
            Array.Clear(gradient);
            Array.Clear(hessian);
            for (var i = 0; i < n; i++)
            {
                if (w[i] == 0)
                {
                    continue;
                }

                var row = i * d;
                var p = Sigmoid(Dot(x, row, beta, d));
                var residual = w[i] * (y[i] - p);
                var curvature = w[i] * p * (1 - p);
                for (var a = 0; a < d; a++)
                {
                    var xa = x[row + a];
                    if (xa == 0)
                    {
                        continue;
                    }

                    gradient[a] += residual * xa;
                    var scaled = curvature * xa;
                    for (var b = 0; b <= a; b++)
                    {
                        hessian[(a * d) + b] += scaled * x[row + b];
                    }
                }
            }

            for (var a = 1; a < d; a++)
            {
                gradient[a] -= lambda * (beta[a] - centre[a]);
                hessian[(a * d) + a] += lambda;
            }

            // A whisker of ridge on every diagonal keeps the solve defined when a feature never varies.
            for (var a = 0; a < d; a++)
            {
                hessian[(a * d) + a] += 1e-9;
            }

            CholeskySolve(hessian, gradient, step, d);

            // Step halving: Newton's full step can overshoot on separable corners of the data.
            var scale = 1.0;
            double next;
            while (true)
            {
                for (var a = 0; a < d; a++)
                {
                    candidate[a] = beta[a] + (scale * step[a]);
                }

                next = Objective(x, y, w, candidate, centre, lambda, n, d);
                if (next >= objective - (1e-12 * Math.Abs(objective)) || scale < 1e-6)
                {
                    break;
                }

                scale /= 2;
            }

            var largestMove = 0.0;
            for (var a = 0; a < d; a++)
            {
                largestMove = Math.Max(largestMove, Math.Abs(candidate[a] - beta[a]));
            }

            Array.Copy(candidate, beta, d);
            objective = next;
            if (largestMove < options.Tolerance)
            {
                converged = true;
                break;
            }
        }

        // The scorer refuses weights beyond ±MaxAbsWeight; a fit that wants more is told so, not silently cut.
        for (var a = 0; a < d; a++)
        {
            if (Math.Abs(beta[a]) > ScoringWeights.MaxAbsWeight)
            {
                var name = a == 0 ? FeatureNames.Intercept : FeatureNames.All[a - 1];
                problems.Add(Invariant($"The fitted weight for '{name}' ({beta[a]:0.###}) was limited to ±{ScoringWeights.MaxAbsWeight}."));
                beta[a] = Math.Clamp(beta[a], -ScoringWeights.MaxAbsWeight, ScoringWeights.MaxAbsWeight);
            }
        }

        var weights = new Dictionary<string, double>(Features, StringComparer.Ordinal);
        for (var j = 0; j < Features; j++)
        {
            weights[FeatureNames.All[j]] = beta[1 + j];
        }

        var fitted = new ScoringWeights(beta[0], new ReadOnlyDictionary<string, double>(weights));
        var logLoss = MeanLogLoss(x, y, w, beta, n, d, sessions);
        return new RefitResult(true, fitted, n, sessions, abandoned, completed, iterations, converged, logLoss, problems);
    }

    private static double Objective(double[] x, double[] y, double[] w, double[] beta, double[] centre, double lambda, int n, int d)
    {
        var total = 0.0;
        for (var i = 0; i < n; i++)
        {
            if (w[i] == 0)
            {
                continue;
            }

            var z = Dot(x, i * d, beta, d);
            // log σ(z) and log(1 − σ(z)) without overflow: −softplus(−z) and −softplus(z).
            total += w[i] * (y[i] > 0 ? -Softplus(-z) : -Softplus(z));
        }

        var penalty = 0.0;
        for (var a = 1; a < d; a++)
        {
            var delta = beta[a] - centre[a];
            penalty += delta * delta;
        }

        return total - (lambda / 2 * penalty);
    }

    private static double MeanLogLoss(double[] x, double[] y, double[] w, double[] beta, int n, int d, double sessions)
    {
        var total = 0.0;
        for (var i = 0; i < n; i++)
        {
            var z = Dot(x, i * d, beta, d);
            total += w[i] * (y[i] > 0 ? Softplus(-z) : Softplus(z));
        }

        return sessions > 0 ? total / sessions : double.NaN;
    }

    private static double Dot(double[] x, int row, double[] beta, int d)
    {
        var z = 0.0;
        for (var a = 0; a < d; a++)
        {
            z += x[row + a] * beta[a];
        }

        return z;
    }

    internal static double Sigmoid(double z) => 1.0 / (1.0 + Math.Exp(-z));

    internal static double Softplus(double z) => z > 0 ? z + Math.Log(1 + Math.Exp(-z)) : Math.Log(1 + Math.Exp(z));

    /// <summary>Solves H·s = g for symmetric positive-definite H given by its lower triangle (row-major).</summary>
    private static void CholeskySolve(double[] h, double[] g, double[] s, int d)
    {
        var l = new double[d * d];
        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                var sum = h[(i * d) + j];
                for (var k = 0; k < j; k++)
                {
                    sum -= l[(i * d) + k] * l[(j * d) + k];
                }

                if (i == j)
                {
                    l[(i * d) + i] = Math.Sqrt(Math.Max(sum, 1e-12));
                }
                else
                {
                    l[(i * d) + j] = sum / l[(j * d) + j];
                }
            }
        }

        // Forward then back substitution.
        var t = new double[d];
        for (var i = 0; i < d; i++)
        {
            var sum = g[i];
            for (var k = 0; k < i; k++)
            {
                sum -= l[(i * d) + k] * t[k];
            }

            t[i] = sum / l[(i * d) + i];
        }

        for (var i = d - 1; i >= 0; i--)
        {
            var sum = t[i];
            for (var k = i + 1; k < d; k++)
            {
                sum -= l[(k * d) + i] * s[k];
            }

            s[i] = sum / l[(i * d) + i];
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
