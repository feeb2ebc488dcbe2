using System.Text.Encodings.Web;
using System.Text.Unicode;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace SynthPref.Orchestration.Rendering;

/// <summary>
/// Every HTML page SynthPref writes (report.html, the review page) is Razor components rendered to a string by the
/// framework's <see cref="HtmlRenderer"/>, so every value is encoded by the template rather than by each caller.
/// </summary>
public static class RazorHtml
{
    /// <summary>Encodes what HTML needs encoded (&lt; &gt; &amp; and quotes) and leaves other text readable: the pages are
    /// UTF-8, and category names and responses are often not English.</summary>
    static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    public static async Task<string> RenderAsync<TPage>(IReadOnlyDictionary<string, object?> parameters) where TPage : IComponent
    {
        ArgumentNullException.ThrowIfNull(parameters);
        await using var services = new ServiceCollection().AddSingleton(Encoder).BuildServiceProvider();
        await using var renderer = new HtmlRenderer(services, NullLoggerFactory.Instance);
        return await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var page = await renderer.RenderComponentAsync<TPage>(ParameterView.FromDictionary(parameters.ToDictionary()));
            return page.ToHtmlString();
        });
    }
}
