namespace SynthPref.Orchestration.Audit;

public sealed record LengthBias(int Decisive, int LongerPreferred, int EqualLength, double? Share, bool Warning);

public sealed record PositionBias(int PairsJudgedBothOrders, int Inconsistent, double? InconsistentRate, double? FirstPreferredRate);

/// <summary>Decisive judge pairs where exactly one response came from the judge's own model.</summary>
public sealed record SelfPreferenceBias(int Pairs, int OwnPreferred, double? Share, bool Warning);

/// <summary>Decisive judge pairs where exactly one response is markdown-formatted (<see cref="FormatFeatures.IsFormatted"/>).</summary>
public sealed record FormatBias(int Pairs, int FormattedPreferred, double? Share, bool Warning);

public sealed record BiasReport(LengthBias Length, PositionBias Position, SelfPreferenceBias SelfPreference, FormatBias Format);
