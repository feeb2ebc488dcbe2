using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;
using SynthPref.Orchestration.Api;

namespace SynthPref.Functions.Hosting;

/// <summary>
/// The Functions app's half of <see cref="RunsApi.StorageProblem"/>: the worker runs no ASP.NET Core exception
/// handler for functions, so a storage 4xx escaping an HTTP function is turned here into the same ProblemDetails the
/// local host answers, as the function's result. Other functions' exceptions pass through untouched.
/// </summary>
public sealed class StorageProblemMiddleware(ILogger<StorageProblemMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        var http = context.GetHttpContext();
        try
        {
            await next(context);
            // The ASP.NET Core integration executes a function's IResult only once this middleware has returned, out of
            // this catch's reach, so a result that meets storage while it is written (an output blob streamed to the
            // caller: its download starts at the first read) would be a bare 500 there. It is executed here instead,
            // leaving the integration an empty result, so that writing a result is covered as on the local host, whose
            // exception handler wraps it too.
            if (http is not null && context.GetInvocationResult() is { Value: IResult result } invocation)
            {
                await result.ExecuteAsync(http);
                invocation.Value = TypedResults.Empty;
            }
        }
        catch (Exception e) when (http is { Response.HasStarted: false } && StorageProblemHandler.Find(e) is { } failed
                                  && RunsApi.StorageProblem(failed) is { } problem)
        {
            logger.LogWarning(failed, "{Function}: storage refused the request with {Status} ({ErrorCode}); answered {Answer}",
                context.FunctionDefinition.Name, failed.Status, failed.ErrorCode, problem.StatusCode);
            // A result that failed while being written has already set its status and headers (a 200, its content type).
            http.Response.Clear();
            context.GetInvocationResult().Value = problem;
        }
    }
}
