namespace SynthPref.Orchestration.Statistics;

/// <summary>
/// Process-independent hashing for seeded decisions. string.GetHashCode is randomized per process,
/// so anything that must reproduce across runs, hosts or replays has to hash through here.
/// </summary>
public static class StableHash
{
    const uint OffsetBasis = 2166136261;
    const uint Prime = 16777619;

    /// <summary>FNV-1a 32-bit over the UTF-16 code units (low byte then high byte), so every string is covered
    /// without an encoding step and results never depend on the platform.</summary>
    public static uint Fnv1a(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        uint hash = OffsetBasis;
        foreach (char c in text)
        {
            hash = (hash ^ (byte)c) * Prime;
            hash = (hash ^ (byte)(c >> 8)) * Prime;
        }
        return hash;
    }

    /// <summary>A Random seed for one key under a run-level seed; distinct keys get unrelated streams.</summary>
    public static int Seed(int seed, string key)
    {
        uint hash = Fnv1a(key);
        // Fold the seed in with another FNV round per byte so nearby seeds do not give nearby results.
        foreach (int shift in new[] { 0, 8, 16, 24 })
            hash = (hash ^ (byte)((uint)seed >> shift)) * Prime;
        return unchecked((int)hash);
    }
}
