namespace SynthPref.Orchestration.Judging;

/// <summary>
/// How much the panel backs a pair's verdict, as a whole number the trust calibration can set a threshold on: each
/// judge whose final verdict (after both orders) is the pair's verdict adds the points of its stated confidence, high 3,
/// medium 2, low 1, none stated 2 (a recorded or structured verdict without one is not taken for unsure). Judges that
/// disagree, tie or gave nothing parseable add 0. A verdict read from one order only is already low.
/// </summary>
public static class TrustPoints
{
    public static int ConfidencePoints(Confidence? confidence) => confidence switch
    {
        Confidence.High => 3,
        Confidence.Medium => 2,
        Confidence.Low => 1,
        _ => 2,
    };

    /// <summary>The trust points of a pair with this verdict, or null when the verdict is not decisive (A or B).</summary>
    public static int? Of(Preference verdict, IEnumerable<JudgeVerdict> judges)
    {
        ArgumentNullException.ThrowIfNull(judges);
        if (verdict is not (Preference.A or Preference.B)) return null;
        return judges.Where(j => j.Verdict == verdict).Sum(j => ConfidencePoints(j.Confidence));
    }

    /// <summary>The most a pair can have: every judge of the panel backing it with high confidence.</summary>
    public static int Max(int judges) => 3 * judges;
}
