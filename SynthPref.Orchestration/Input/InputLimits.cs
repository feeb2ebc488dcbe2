namespace SynthPref.Orchestration.Input;

/// <summary>What one input item may hold. Pairs end up as Table Storage entities (1 MB, UTF-16 strings).</summary>
public static class InputLimits
{
    /// <summary>The texts of one pair must stay well below an entity's 1 MB once the judge's reasoning or the critique
    /// and metadata are added: 400,000 characters are 800 KB, leaving about 200 KB. See <see cref="InputValidator"/>
    /// for what is counted.</summary>
    public const int MaxTextChars = 400_000;

    /// <summary>Ids are stored as a single Table Storage property (64 KiB) and shown in the review UI.</summary>
    public const int MaxIdChars = 512;

    /// <summary>Stored as a single Table Storage property and used as a report group.</summary>
    public const int MaxCategoryChars = 200;

    /// <summary>Each of model_a/model_b is stored as a single Table Storage property.</summary>
    public const int MaxModelChars = 200;

    /// <summary>Messages in one of conversation_a, conversation_b or messages: every one is sent to the judge twice
    /// (both orders) and shown to reviewers, and the judged turn is the last.</summary>
    public const int MaxMessages = 100;

    public const string DefaultCategory = "uncategorized";
}
