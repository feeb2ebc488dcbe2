namespace SynthPref.Orchestration.Storage;

/// <summary>"container/path" references, as users give them and as runs record their own copies.</summary>
public static class BlobReference
{
    public static bool TryParse(string reference, out string container, out string path)
    {
        var slash = reference.IndexOf('/');
        var valid = slash > 0 && slash < reference.Length - 1;
        container = valid ? reference[..slash] : "";
        path = valid ? reference[(slash + 1)..] : "";
        return valid;
    }
}
