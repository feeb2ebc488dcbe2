using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;

namespace SynthPref.Orchestration.Reviews.Page;

/// <summary>
/// The page's one script element, with the answer's nonce. Written as a render tree rather than markup because Razor
/// refuses script tags in components (they cannot update in an interactive page; this one is rendered once, to a string).
/// </summary>
public sealed class NoncedScript : ComponentBase
{
    [Parameter, EditorRequired] public string Nonce { get; set; } = "";

    /// <summary>The script's own text, trusted: it is the page's embedded file, never anything a request carries.</summary>
    [Parameter, EditorRequired] public string Source { get; set; } = "";

    protected override void BuildRenderTree(RenderTreeBuilder builder)
    {
        builder.OpenElement(0, "script");
        builder.AddAttribute(1, "nonce", Nonce);
        builder.AddMarkupContent(2, "\n" + Source);
        builder.CloseElement();
    }
}
