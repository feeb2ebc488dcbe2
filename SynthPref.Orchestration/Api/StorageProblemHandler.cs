using Azure;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SynthPref.Orchestration.Api;

/// <summary>
/// The local host's half of <see cref="RunsApi.StorageProblem"/>: a storage 4xx that escapes a handler becomes that
/// 4xx as a ProblemDetails, not the exception handler's 500. (The Functions app's worker middleware does the same.)
/// </summary>
public sealed class StorageProblemHandler(ILogger<StorageProblemHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (Find(exception) is not { } failed || RunsApi.StorageProblem(failed) is not { } problem) return false;
        logger.LogWarning(failed, "{Method} {Path}: storage refused the request with {Status} ({ErrorCode}); answered {Answer}",
            context.Request.Method, context.Request.Path, failed.Status, failed.ErrorCode, problem.StatusCode);
        await problem.ExecuteAsync(context);
        return true;
    }

    /// <summary>The storage failure behind <paramref name="exception"/>, however it was wrapped on the way out.</summary>
    public static RequestFailedException? Find(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is RequestFailedException failed) return failed;
            if (e is AggregateException { InnerExceptions.Count: 1 } single) return Find(single.InnerExceptions[0]);
        }
        return null;
    }
}
