using System.Globalization;
using ScottPlot;
using SkiaSharp;
using SynthPref.Orchestration.Agreement;
using SynthPref.Orchestration.Audit;
using SynthPref.Orchestration.Statistics;
using SynthPref.Orchestration.Trust;

namespace SynthPref.Orchestration.Reporting;

/// <summary>
/// The report's charts, drawn by ScottPlot as SVG and made fit to inline (<see cref="SvgInline"/>), so the page stays one
/// self-contained file. Each returns null when it has nothing to draw. Text is measured with the embedded font
/// (<see cref="EmbeddedFont"/>), so a chart comes out the same on every machine.
/// </summary>
public static class ReportCharts
{
    public const int Width = 760;

    /// <summary>The most category rows the agreement chart draws; the table below it has them all.</summary>
    public const int MaxCategoryRows = 30;

    static readonly Color Ranked = Color.FromHex("#0969da");
    static readonly Color Unranked = Color.FromHex("#afb8c1");
    static readonly Color Significant = Color.FromHex("#bc4c00");
    static readonly Color Whisker = Color.FromHex("#1f2328");
    static readonly Color Overall = Color.FromHex("#cf222e");
    static readonly Color Ceiling = Color.FromHex("#1a7f37");
    static readonly Color Half = Color.FromHex("#59636e");
    static readonly Color[] ConfidenceColors = [Color.FromHex("#0550ae"), Color.FromHex("#54aeff"), Color.FromHex("#d4a72c")];

    /// <summary>Agreement per category with its 95% Wilson interval as a whisker: the ranked categories first, most
    /// divergent at the top, then those with too few votes to rank, in grey. The overall rate and the reviewers' own
    /// agreement (the human ceiling) are reference lines.</summary>
    public static string? CategoryAgreement(AgreementReport agreement)
    {
        ArgumentNullException.ThrowIfNull(agreement);
        var rows = agreement.MostDivergent.Select(c => (c.Category, Stats: agreement.ByCategory[c.Category], Fill: c.DivergesSignificantly ? Significant : Ranked))
            .Concat((agreement.TooFewVotes ?? []).Select(c => (c.Category, Stats: agreement.ByCategory[c.Category], Fill: Unranked)))
            .Where(r => r.Stats.Rate is not null)
            .ToList();
        if (rows.Count == 0) return null;
        rows = rows.Take(MaxCategoryRows).ToList();

        var plot = NewPlot();
        var positions = new double[rows.Count];
        var labels = new string[rows.Count];
        var bars = new List<Bar>();
        for (var i = 0; i < rows.Count; i++)
        {
            var (category, stats, fill) = rows[i];
            double y = rows.Count - 1 - i;
            positions[i] = y;
            labels[i] = $"{Shorten(category, 28)} ({stats.Votes})";
            bars.Add(new Bar { Position = y, Value = stats.Rate!.Value, FillColor = fill, LineWidth = 0, Size = 0.6 });
        }
        plot.Add.Bars(bars).Horizontal = true;
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].Stats.Ci95 is [var low, var high])
                AddWhisker(plot, positions[i], low, high, 0.18);
        }

        // Short, so it fits the chart at any width it is scaled to; the explanation is the HTML caption (CategoryCaption).
        const string title = "Agreement by category";
        plot.Title(title, size: 13);
        AddReference(plot, agreement.Overall.Rate, Overall, $"overall {HtmlFormat.Percent(agreement.Overall.Rate)}");
        AddReference(plot, agreement.Humans?.Rate, Ceiling, $"reviewers agree {HtmlFormat.Percent(agreement.Humans?.Rate)}");
        plot.Axes.Left.SetTicks(positions, labels);
        PercentAxis(plot.Axes.Bottom, "judge–human agreement (bars), 95% Wilson interval (whiskers)");
        plot.Axes.SetLimits(0, 1.02, -0.7, rows.Count - 0.3);
        plot.ShowLegend(Edge.Bottom);
        return Svg(plot, "category-agreement", title, Width, 150 + 26 * rows.Count);
    }

    /// <summary>Rows of the category chart: the ranked categories (most divergent first), then those with too few votes;
    /// categories without a vote are in neither.</summary>
    static (int Ranked, int Unranked) CategoryRows(AgreementReport agreement) => (
        agreement.MostDivergent.Count(c => agreement.ByCategory[c.Category].Rate is not null),
        (agreement.TooFewVotes ?? []).Count(c => agreement.ByCategory[c.Category].Rate is not null));

    /// <summary>
    /// The category chart's caption, in the page's HTML (where it wraps at any width, unlike text drawn into the SVG):
    /// what the colours mean, and when the chart leaves categories out, how many of each kind and that the table below
    /// lists them all.
    /// </summary>
    public static string? CategoryCaption(AgreementReport agreement)
    {
        ArgumentNullException.ThrowIfNull(agreement);
        var (ranked, unranked) = CategoryRows(agreement);
        if (ranked + unranked == 0) return null;
        var caption = agreement.MostDivergent.Count > 0
            ? $"Most divergent first. Orange: significantly below overall; blue: ranked; grey: under {agreement.MinCategoryVotes} votes, not ranked."
            : $"No category has {agreement.MinCategoryVotes} votes, so none is ranked (grey).";
        var shown = Math.Min(ranked + unranked, MaxCategoryRows);
        if (shown == ranked + unranked) return caption + $" Every category with a vote is shown ({ranked + unranked}).";
        var shownRanked = Math.Min(ranked, MaxCategoryRows);
        var leftRanked = ranked - shownRanked;
        var leftUnranked = unranked - (shown - shownRanked);
        var parts = new List<string>();
        if (leftRanked > 0) parts.Add($"{leftRanked} ranked");
        if (leftUnranked > 0) parts.Add($"{leftUnranked} with too few votes to rank");
        return caption + $" The chart shows {shown} of the {ranked + unranked} categories with a vote and leaves out " +
               $"{ranked + unranked - shown} ({string.Join(" and ", parts)}); the table below lists every category.";
    }

    /// <summary>The confusion matrix as a heat map: judge verdict down, human label across, each cell's count written in it.</summary>
    public static string? Confusion(ConfusionMatrix? matrix)
    {
        if (matrix is null || matrix.Total == 0) return null;
        var plot = NewPlot();
        var max = matrix.Counts.Max(r => r.Max());
        var n = matrix.Labels.Count;
        for (var row = 0; row < n; row++)
        {
            for (var column = 0; column < n; column++)
            {
                var count = matrix.Counts[row][column];
                double top = n - row, left = column;
                var shade = max == 0 ? 0 : (double)count / max;
                var cell = plot.Add.Rectangle(left, left + 1, top - 1, top);
                cell.FillColor = Color.InterpolateRgb(Color.FromHex("#f6f8fa"), Color.FromHex("#0550ae"), shade);
                cell.LineColor = row == column ? Whisker : Colors.White;
                cell.LineWidth = row == column ? 2 : 1;
                var text = plot.Add.Text(count.ToString(CultureInfo.InvariantCulture), left + 0.5, top - 0.5);
                text.LabelFontSize = 16;
                text.LabelBold = true;
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontColor = shade > 0.5 ? Colors.White : Whisker;
            }
        }
        var centres = Enumerable.Range(0, n).Select(i => i + 0.5).ToArray();
        plot.Axes.Bottom.SetTicks(centres, matrix.Labels.ToArray());
        plot.Axes.Left.SetTicks(centres.Reverse().ToArray(), matrix.Labels.ToArray());
        plot.Axes.Bottom.Label.Text = "human label";
        plot.Axes.Left.Label.Text = "judge verdict";
        plot.Axes.SetLimits(0, n, 0, n);
        plot.Grid.IsVisible = false;
        const string title = "Judge verdict × human label";
        plot.Title(title, size: 13);
        return Svg(plot, "confusion", title, 420, 380);
    }

    /// <summary>Who prefers the longer response: the judge over all its decisive pairs of unequal length, the judge on the
    /// reviewed items, and the reviewers on the same items, each with its 95% Wilson interval; 50% is no preference.</summary>
    public static string? LengthPreference(LengthBias length)
    {
        ArgumentNullException.ThrowIfNull(length);
        var human = length.Human is { Votes: > 0 } h ? h : null;
        var rows = new List<(string Label, double? Share, double[]? Ci)>
        {
            ($"judge, all pairs ({length.Decisive})", length.Share, length.Ci95),
        };
        if (human is not null)
        {
            rows.Add(($"judge, reviewed items ({human.JudgeDecisive})", human.JudgeShare,
                human.JudgeDecisive > 0 ? WilsonInterval.Of(human.JudgeLongerPreferred, human.JudgeDecisive) : null));
            rows.Add(($"reviewers ({human.UnequalLengthVotes} votes)", human.Share, human.Ci95));
        }
        return ShareChart("length-preference", "Share preferring the longer response", "longer response preferred", rows);
    }

    /// <summary>How often the judge preferred the text it was shown first, over its decisive positional answers.</summary>
    public static string? FirstPosition(PositionBias position)
    {
        ArgumentNullException.ThrowIfNull(position);
        return ShareChart("first-position", "Share preferring the text shown first", "first-shown text preferred",
            [($"judge ({position.DecisiveCalls} answers)", position.FirstPreferredRate, position.Ci95)]);
    }

    /// <summary>The coverage–agreement curve: at each trust level, the share of decisive judge pairs at or above it
    /// (across) against the agreement with people of the calibration items at or above it and its exact lower bound
    /// (up), each point named by its level. The target is a reference line; the threshold, where one was accepted, a
    /// vertical line at its coverage.</summary>
    public static string? TrustCurve(TrustReport trust)
    {
        ArgumentNullException.ThrowIfNull(trust);
        var levels = trust.Levels.Where(l => l.Coverage is not null).OrderBy(l => l.Coverage).ToList();
        if (levels.Count == 0) return null;
        var plot = NewPlot();
        var xs = levels.Select(l => l.Coverage!.Value).ToArray();
        var rates = plot.Add.Scatter(xs, levels.Select(l => l.Rate).ToArray());
        rates.Color = Ranked;
        rates.LineWidth = 2;
        rates.MarkerSize = 9;
        rates.LegendText = "agreement with people, pairs at or above the level";
        var lower = plot.Add.Scatter(xs, levels.Select(l => l.Lower).ToArray());
        lower.Color = Significant;
        lower.LineWidth = 2;
        lower.LinePattern = LinePattern.Dashed;
        lower.MarkerSize = 7;
        lower.LegendText = $"lower bound at {Share(1 - trust.Alpha)} confidence";
        foreach (var level in levels)
        {
            var label = plot.Add.Text($"≥{level.Points.ToString(CultureInfo.InvariantCulture)}", level.Coverage!.Value, level.Rate);
            label.LabelFontSize = 12;
            label.LabelAlignment = Alignment.LowerCenter;
            label.LabelOffsetY = -6;
            label.LabelFontColor = Whisker;
        }
        var target = plot.Add.HorizontalLine(trust.Target, 2, Overall, LinePattern.Dashed);
        target.LegendText = $"target {Share(trust.Target)}";
        if (trust.Threshold is { } threshold && levels.FirstOrDefault(l => l.Points == threshold) is { Coverage: { } at })
        {
            var line = plot.Add.VerticalLine(at, 1.5f, Ceiling, LinePattern.Dotted);
            line.LegendText = $"threshold ≥{threshold.ToString(CultureInfo.InvariantCulture)} points: coverage {HtmlFormat.Percent(at)}";
        }
        var title = trust.Threshold is { } t
            ? $"Coverage and agreement by trust level: pairs at or above {t.ToString(CultureInfo.InvariantCulture)} points are trusted"
            : "Coverage and agreement by trust level: no level meets the target";
        plot.Title(title, size: 13);
        PercentAxis(plot.Axes.Bottom, "coverage: share of decisive judge pairs at or above the level");
        PercentAxis(plot.Axes.Left, "agreement with the reviewers' majority");
        plot.Axes.SetLimits(0, 1.04, 0, 1.08);
        plot.ShowLegend(Edge.Bottom);
        return Svg(plot, "trust-curve", title, Width, 520);
    }

    /// <summary>Does "high" mean anything: for each judge, how often its final verdict was the reviewers' majority label
    /// on the calibration items, by the confidence it stated, with 95% Wilson whiskers and each bar's item count.</summary>
    public static string? JudgeReliability(IReadOnlyList<JudgeReliability> judges)
    {
        ArgumentNullException.ThrowIfNull(judges);
        if (!judges.Any(j => j.ByConfidence.Any(c => c.Items > 0))) return null;
        var plot = NewPlot();
        var confidences = judges[0].ByConfidence.Select(c => c.Confidence).ToList();
        const double width = 0.26;
        var cells = judges.SelectMany((judge, j) => judge.ByConfidence.Select((cell, c) =>
            (Cell: cell, Colour: c, X: j + (c - (judge.ByConfidence.Count - 1) / 2.0) * width))).ToList();
        plot.Add.Bars(cells.Where(x => x.Cell.Rate is not null).Select(x => new Bar
        {
            Position = x.X, Value = x.Cell.Rate!.Value, FillColor = ConfidenceColors[x.Colour % ConfidenceColors.Length], LineWidth = 0, Size = width * 0.9,
        }).ToList());
        // Whiskers and counts after the bars, so the bars do not hide them; a confidence never stated shows n=0.
        foreach (var (cell, _, x) in cells)
        {
            if (cell.Ci95 is [var low, var high])
                AddVerticalWhisker(plot, x, low, high, width * 0.25);
            var count = plot.Add.Text($"n={cell.Items.ToString(CultureInfo.InvariantCulture)}", x, 0.02);
            count.LabelFontSize = 10;
            count.LabelAlignment = Alignment.LowerCenter;
            count.LabelFontColor = cell.Rate > 0.08 ? Colors.White : Whisker;
        }
        for (var c = 0; c < confidences.Count; c++)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = $"stated {confidences[c]}", FillColor = ConfidenceColors[c % ConfidenceColors.Length] });
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, judges.Count).Select(i => (double)i).ToArray(),
            judges.Select(j => Shorten(j.Judge, 24)).ToArray());
        PercentAxis(plot.Axes.Left, "verdict = reviewers' majority (bars), 95% Wilson interval");
        plot.Axes.SetLimits(-0.6, judges.Count - 0.4, 0, 1.05);
        const string title = "Judge reliability on the calibration items, by stated confidence";
        plot.Title(title, size: 13);
        plot.ShowLegend(Edge.Bottom);
        return Svg(plot, "judge-reliability", title, Width, 420);
    }

    static void AddVerticalWhisker(Plot plot, double x, double low, double high, double cap)
    {
        foreach (var (x1, y1, x2, y2) in new[] { (x, low, x, high), (x - cap, low, x + cap, low), (x - cap, high, x + cap, high) })
        {
            var line = plot.Add.Line(x1, y1, x2, y2);
            line.LineColor = Whisker;
            line.LineWidth = 1.5f;
            line.MarkerSize = 0;
        }
    }

    static string Share(double share) => Math.Round(share * 100, 6).ToString("0.####", CultureInfo.InvariantCulture) + "%";

    static string? ShareChart(string id, string title, string axis, List<(string Label, double? Share, double[]? Ci)> rows)
    {
        rows = rows.Where(r => r.Share is not null).ToList();
        if (rows.Count == 0) return null;
        var plot = NewPlot();
        var bars = new List<Bar>();
        for (var i = 0; i < rows.Count; i++)
        {
            double y = rows.Count - 1 - i;
            bars.Add(new Bar { Position = y, Value = rows[i].Share!.Value, FillColor = Ranked, LineWidth = 0, Size = 0.55 });
        }
        plot.Add.Bars(bars).Horizontal = true;
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].Ci is [var low, var high])
                AddWhisker(plot, rows.Count - 1 - i, low, high, 0.15);
        }
        AddReference(plot, 0.5, Half, "50%: no preference");
        plot.Axes.Left.SetTicks(Enumerable.Range(0, rows.Count).Select(i => (double)(rows.Count - 1 - i)).ToArray(),
            rows.Select(r => r.Label).ToArray());
        PercentAxis(plot.Axes.Bottom, axis + " (bars), 95% Wilson interval (whiskers)");
        plot.Axes.SetLimits(0, 1.02, -0.7, rows.Count - 0.3);
        plot.Title(title, size: 13);
        plot.ShowLegend(Edge.Bottom);
        return Svg(plot, id, title, Width, 150 + 40 * rows.Count);
    }

    static void AddWhisker(Plot plot, double y, double low, double high, double cap)
    {
        foreach (var (x1, y1, x2, y2) in new[] { (low, y, high, y), (low, y - cap, low, y + cap), (high, y - cap, high, y + cap) })
        {
            var line = plot.Add.Line(x1, y1, x2, y2);
            line.LineColor = Whisker;
            line.LineWidth = 1.5f;
            line.MarkerSize = 0;
        }
    }

    static void AddReference(Plot plot, double? x, Color color, string label)
    {
        if (x is not { } at) return;
        var line = plot.Add.VerticalLine(at, 2, color, LinePattern.Dashed);
        line.LegendText = label;
    }

    static void PercentAxis(IAxis axis, string label)
    {
        double[] ticks = [0, 0.25, 0.5, 0.75, 1];
        axis.SetTicks(ticks, ticks.Select(t => (t * 100).ToString("0", CultureInfo.InvariantCulture) + "%").ToArray());
        axis.Label.Text = label;
        axis.Label.FontSize = 12;
    }

    static Plot NewPlot()
    {
        EmbeddedFont.Register();
        var plot = new Plot();
        plot.Font.Set(EmbeddedFont.Family);
        return plot;
    }

    static string Svg(Plot plot, string id, string title, int width, int height)
    {
        // Fonts were set before plottables were added; set again so legend, ticks and labels added since use it too.
        plot.Font.Set(EmbeddedFont.Family);
        plot.Legend.FontName = EmbeddedFont.Family;
        return SvgInline.Prepare(plot.GetSvgXml(width, height), id, title);
    }

    static string Shorten(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 1), "…");
}

/// <summary>
/// DejaVu Sans, shipped inside this assembly (Reporting/Fonts, with its licence) and given to ScottPlot as a font
/// resolver. Without it SkiaSharp measures and draws with whatever the machine has, and on a machine with no fonts
/// (a Functions worker's image may have none) it draws no text at all.
/// </summary>
public static class EmbeddedFont
{
    public const string Family = "DejaVu Sans";
    const string Resource = "SynthPref.DejaVuSans.ttf";
    static readonly Lazy<SKData> Data = new(Load);
    static int registered;

    public static void Register()
    {
        if (Interlocked.Exchange(ref registered, 1) == 1) return;
        // Resolvers are asked before the system's fonts; ScottPlot keeps them in a static list.
        lock (Fonts.FontResolvers)
            Fonts.FontResolvers.Insert(0, new Resolver());
    }

    static SKData Load()
    {
        using var stream = typeof(EmbeddedFont).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"The embedded font {Resource} is missing from the assembly.");
        return SKData.Create(stream);
    }

    /// <summary>A typeface of its own for each caller, which may dispose it; the font's bytes are read once.</summary>
    static SKTypeface Create() =>
        SKTypeface.FromData(Data.Value) ?? throw new InvalidOperationException($"SkiaSharp could not read the embedded font {Resource}.");

    sealed class Resolver : IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
            string.Equals(fontName, Family, StringComparison.OrdinalIgnoreCase) ? Create() : null;

        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) =>
            CreateTypeface(fontName, false, false);
    }
}
