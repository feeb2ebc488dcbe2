using System.Globalization;

namespace SynthPref.Orchestration.Reporting;

/// <summary>How the page writes numbers: invariant culture whatever the host's, one decimal for percentages, "n/a" for
/// a figure that does not exist. Returns plain text; the components encode it.</summary>
public static class HtmlFormat
{
    public const string NotAvailable = "n/a";

    public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Long(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Number(double value) => value.ToString("F3", CultureInfo.InvariantCulture);

    /// <summary>An option's value as given: 0.1, 0.05.</summary>
    public static string Option(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    public static string Money(decimal value) => value.ToString("0.0000", CultureInfo.InvariantCulture);

    public static string Percent(double? share) =>
        share is { } s ? (s * 100).ToString("F1", CultureInfo.InvariantCulture) + "%" : NotAvailable;

    public static string Interval(double[]? ci) =>
        ci is [var low, var high] ? $"{Percent(low)} – {Percent(high)}" : NotAvailable;

    public static string Kappa(double? kappa) =>
        kappa is { } k ? k.ToString("F3", CultureInfo.InvariantCulture) : NotAvailable;

    public static string Stats(Agreement.AgreementStats stats) =>
        $"{Percent(stats.Rate)} ({Int(stats.Agree)} of {Int(stats.Votes)}), κ {Kappa(stats.Kappa)}";

    public static string Label(Judging.Preference preference) => preference switch
    {
        Judging.Preference.A => "A",
        Judging.Preference.B => "B",
        Judging.Preference.Tie => "tie",
        _ => "unparseable",
    };
}
