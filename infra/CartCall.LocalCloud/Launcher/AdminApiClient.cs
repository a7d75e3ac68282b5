using System.Net.Http.Json;
using CartCall.Functions.Features.Agents;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Hosting;

namespace CartCall.LocalCloud.Launcher;

/// <summary>The bits of CartCall's admin API the launcher uses: create the demo merchant and its agents.</summary>
public sealed class AdminApiClient(HttpClient http, string adminKey)
{
    public async Task PutMerchantAsync(Merchant merchant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(merchant);
        await SendAsync(HttpMethod.Put, $"/api/merchants/{Uri.EscapeDataString(merchant.Id)}", merchant, cancellationToken).ConfigureAwait(false);
    }

    public async Task PutAgentAsync(string merchantId, Agent agent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agent);
        await SendAsync(HttpMethod.Put, $"/api/merchants/{Uri.EscapeDataString(merchantId)}/agents/{Uri.EscapeDataString(agent.Id)}", agent, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Issues an agent's workspace key (POST …/agents/{agentId}/key); the old one stops working.</summary>
    public async Task<string> IssueAgentKeyAsync(string merchantId, string agentId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/merchants/{Uri.EscapeDataString(merchantId)}/agents/{Uri.EscapeDataString(agentId)}/key");
        request.Headers.Add(Functions.Hosting.Middleware.AdminKeyMiddleware.Header, adminKey);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadFromJsonAsync<Functions.Features.AgentWorkspace.IssuedAgentKey>(AppJson.Options, cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode && body is not null
            ? body.Key
            : throw new InvalidOperationException($"Issuing agent {agentId}'s key answered {(int)response.StatusCode}.");
    }

    /// <summary>As the agent (their key): take calls in the browser, which gives them an ACS identity of the app's making.</summary>
    public async Task TakeCallsInBrowserAsync(string agentKey, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/api/agent/me")
        {
            Content = JsonContent.Create(new { takesCallsOn = "browser" }, options: AppJson.Options),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", agentKey);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"PUT /api/agent/me answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
        }
    }

    /// <summary>
    /// The demo merchant: open around the clock so offers can be seen at any hour, the storefront's origin allowed,
    /// the rest of the economics left at the product's defaults.
    /// </summary>
    public static Merchant DemoMerchant(string id, string signingSecret, Uri storefrontOrigin)
    {
        ArgumentNullException.ThrowIfNull(storefrontOrigin);
        return new Merchant
        {
            Id = id,
            DisplayName = "CartCall Demo Store",
            SigningSecrets = [signingSecret],
            Currency = "USD",
            TimeZone = "UTC",
            // Closing at the opening time means the window runs to the same time next day: open all day.
            BusinessHours = Enum.GetNames<DayOfWeek>().Select(d => new OpeningWindowDto { Day = d.ToLowerInvariant(), Opens = "00:00", Closes = "00:00" }).ToList(),
            AllowedOrigins = [storefrontOrigin.GetLeftPart(UriPartial.Authority)],
            PublishableKey = PublishableKeys.Generate(),
            SourcePhoneNumber = "+14255550100",
            // Someone trying the demo store expects the offer every time; a holdout would hide it from one visit in ten.
            Experiment = new ExperimentDto { HoldoutShare = 0 },
        };
    }

    /// <summary>
    /// The demo agents, tried in order: the first takes calls in the agent workspace (a person answers there, over the
    /// local calling adapter); the others have fictional phone numbers that the ACS stand-in answers by script.
    /// </summary>
    public static IReadOnlyList<Agent> DemoAgents(int count) =>
        Enumerable.Range(1, count).Select(i => new Agent
        {
            Id = $"agent-{i}",
            DisplayName = $"Demo agent {i}",
            Available = true,
            // 555-01xx numbers are reserved for fiction; the ACS stand-in answers for them.
            PhoneNumber = $"+1425555{100 + i:D4}",
            TakesCallsOn = i == 1 ? AgentDevice.Browser : AgentDevice.Phone,
            Priority = i,
        }).ToList();

    private async Task SendAsync<T>(HttpMethod method, string path, T body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body, options: AppJson.Options) };
        request.Headers.Add(Functions.Hosting.Middleware.AdminKeyMiddleware.Header, adminKey);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var detail = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {detail}");
        }
    }
}
