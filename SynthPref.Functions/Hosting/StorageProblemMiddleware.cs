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
        try
        {
            await next(context);
        }
        catch (Exception e) when (context.GetHttpContext() is not null && StorageProblemHandler.Find(e) is { } failed
                                  && RunsApi.StorageProblem(failed) is { } problem)
        {
            logger.LogWarning(failed, "{Function}: storage refused the request with {Status} ({ErrorCode}); answered {Answer}",
                context.FunctionDefinition.Name, failed.Status, failed.ErrorCode, problem.StatusCode);
            context.GetInvocationResult().Value = problem;
        }
    }
}
