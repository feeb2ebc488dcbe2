namespace SynthPref.Orchestration.Outcomes;

public enum OutcomeKind { Ok, NotFound, Unauthorized, Invalid, Conflict, Unavailable }

/// <summary>One problem with a request, by the field it concerns ("line 3.prompt", "options.seed", "reviewer"), or by
/// "request" when it concerns the request as a whole.</summary>
public sealed record FieldError(string Field, string Message)
{
    public const string Request = "request";

    public static FieldError General(string message) => new(Request, message);

    public override string ToString() => Field == Request ? Message : $"{Field}: {Message}";
}

/// <summary>What an application call came to; hosts turn it into their own HTTP responses.</summary>
public sealed record Outcome<T>(OutcomeKind Kind, T? Value = default, string? Detail = null, IReadOnlyList<FieldError>? Errors = null)
{
    public static Outcome<T> Ok(T value) => new(OutcomeKind.Ok, value);
    public static Outcome<T> NotFound(string detail) => new(OutcomeKind.NotFound, Detail: detail);
    public static Outcome<T> Unauthorized() => new(OutcomeKind.Unauthorized, Detail: "Missing or wrong review token (it goes in the X-Review-Token header).");
    public static Outcome<T> Invalid(string detail, IReadOnlyList<FieldError> errors) => new(OutcomeKind.Invalid, Detail: detail, Errors: errors);
    public static Outcome<T> Conflict(string detail) => new(OutcomeKind.Conflict, Detail: detail);
    public static Outcome<T> Unavailable(string detail) => new(OutcomeKind.Unavailable, Detail: detail);

    /// <summary>The same failure for another result type.</summary>
    public Outcome<TOther> As<TOther>() => Kind == OutcomeKind.Ok
        ? throw new InvalidOperationException("An Ok outcome has a value of its own type.")
        : new(Kind, default, Detail, Errors);
}
