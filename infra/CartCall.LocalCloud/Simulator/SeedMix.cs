namespace CartCall.LocalCloud.Simulator;

/// <summary>
/// Derives a per-item seed from a run's seed, the same in every process. (<see cref="HashCode.Combine{T1, T2}"/> is
/// randomised per process, so a seed mixed with it does not repeat a run.)
/// </summary>
public static class SeedMix
{
    /// <summary>SplitMix64's finaliser over (seed, index, stream), folded to an int.</summary>
    public static int Of(int seed, int index, int stream = 0)
    {
        var z = unchecked(((ulong)(uint)seed << 32) ^ (uint)index ^ ((ulong)(uint)stream * 0x9E3779B97F4A7C15UL));
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return unchecked((int)z ^ (int)(z >> 32));
    }
}
