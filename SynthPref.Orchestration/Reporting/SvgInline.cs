using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace SynthPref.Orchestration.Reporting;

/// <summary>
/// Makes a chart's SVG document fit to sit inside the HTML page. Parsing it as XML and writing it back means every
/// piece of text in it (category names are user text) leaves encoded, whatever the drawing library did; ids get the
/// chart's prefix, since several inline charts share one document and SkiaSharp numbers its clip paths from the same
/// start in each; namespace declarations go (HTML's parser puts &lt;svg&gt; in the SVG namespace itself), so the page
/// names no address at all; each text keeps its first position and lets the browser lay out the glyphs; and the
/// root gets a viewBox, so the chart scales to the page, and a title for screen readers.
/// </summary>
public static partial class SvgInline
{
    public const string FontFamily = "'DejaVu Sans', 'Liberation Sans', Arial, sans-serif";

    public static string Prepare(string svgXml, string id, string title)
    {
        ArgumentNullException.ThrowIfNull(svgXml);
        var root = XDocument.Parse(svgXml).Root ?? throw new ArgumentException("The SVG has no root element.", nameof(svgXml));
        foreach (var element in root.DescendantsAndSelf())
        {
            element.Name = element.Name.LocalName;
            foreach (var attribute in element.Attributes().ToList())
            {
                if (attribute.IsNamespaceDeclaration)
                {
                    attribute.Remove();
                    continue;
                }
                var value = attribute.Value;
                var name = attribute.Name.LocalName;
                if (name == "id")
                    value = $"{id}-{value}";
                else if (name == "href" && value.StartsWith('#'))
                    value = $"#{id}-{value[1..]}";
                else
                    value = UrlReference().Replace(value, m => $"url(#{id}-{m.Groups[1].Value})");
                if (element.Name == "text" && name is "x" or "y")
                    value = FirstNumber(value);
                if (name == "font-family")
                    value = FontFamily;
                if (attribute.Name.Namespace != XNamespace.None)
                {
                    attribute.Remove();
                    element.SetAttributeValue(name, value);
                }
                else
                {
                    attribute.Value = value;
                }
            }
            if (element.Name == "text")
                element.Value = element.Value.Trim();
        }
        if (root.Attribute("width")?.Value is { } width && root.Attribute("height")?.Value is { } height)
            root.SetAttributeValue("viewBox", $"0 0 {width} {height}");
        root.SetAttributeValue("class", "chart");
        root.SetAttributeValue("data-chart", id);
        root.SetAttributeValue("role", "img");
        root.SetAttributeValue("aria-label", title);
        root.AddFirst(new XElement("title", title));
        return root.ToString(SaveOptions.DisableFormatting);
    }

    /// <summary>SkiaSharp writes a position per glyph ("1.5, 8.25, 14, "); the first places the text.</summary>
    static string FirstNumber(string list)
    {
        var first = list.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return first is not null && double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? first : "0";
    }

    [GeneratedRegex(@"url\(#([^)]+)\)")]
    private static partial Regex UrlReference();
}
