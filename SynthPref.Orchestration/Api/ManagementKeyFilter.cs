using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SynthPref.Orchestration.Api;

/// <summary>
/// The local host's stand-in for Azure Functions' function keys on management routes: with <c>Api:Key</c> set, a
/// request must carry it in the <c>x-functions-key</c> header, the header Functions reads, so one client works
/// against both hosts. Without a key the local host listens on loopback only (see the host's start-up check).
/// </summary>
public sealed class ManagementKeyFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var key = context.HttpContext.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.Key;
        if (string.IsNullOrEmpty(key)) return await next(context);
        var given = context.HttpContext.Request.Headers[ApiOptions.KeyHeader].ToString();
        if (Matches(given, key)) return await next(context);
        return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
            detail: $"This route needs the API key (Api:Key) in the {ApiOptions.KeyHeader} header.");
    }

    /// <summary>Compares digests, so neither the length nor any prefix of the key leaks through timing.</summary>
    public static bool Matches(string given, string key) =>
        given.Length > 0 && CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
