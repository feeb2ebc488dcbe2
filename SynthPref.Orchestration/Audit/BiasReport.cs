namespace SynthPref.Orchestration.Audit;

public sealed record LengthBias(int Decisive, int LongerPreferred, int EqualLength, double? Share, bool Warning);

public sealed record PositionBias(int PairsJudgedBothOrders, int Inconsistent, double? InconsistentRate, double? FirstPreferredRate);

public sealed record BiasReport(LengthBias Length, PositionBias Position);
