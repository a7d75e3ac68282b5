namespace CartCall.Functions.Features.OpenApi;

/// <summary>The request body an HTTP function takes, for the OpenAPI document.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequestBodyAttribute(Type type, string contentType = "application/json") : Attribute
{
    public Type Type { get; } = type;

    public string ContentType { get; } = contentType;
}

/// <summary>A successful answer an HTTP function gives, for the OpenAPI document.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ResponseAttribute(int status, Type? type = null, string contentType = "application/json") : Attribute
{
    public int Status { get; } = status;

    public Type? Type { get; } = type;

    public string ContentType { get; } = contentType;
}

/// <summary>The problem-details refusals an HTTP function may answer, for the OpenAPI document.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ProblemsAttribute(params int[] statuses) : Attribute
{
    public IReadOnlyList<int> Statuses { get; } = statuses;
}

/// <summary>The group an operation is listed under in the OpenAPI document.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ApiTagAttribute(string tag) : Attribute
{
    public string Tag { get; } = tag;
}
