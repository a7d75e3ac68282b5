using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CartCall.LocalCloud.Tests.Bicep;

/// <summary>Compiles bicep/main.bicep once with the real Bicep CLI for the tests that read the ARM JSON.</summary>
public sealed class CompiledMainTemplate : IAsyncLifetime
{
    internal BicepResult Build { get; private set; } = null!;

    internal JsonObject Template { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Build = await BicepCli.RunAsync(["build", Path.Combine(RepositoryPaths.Bicep, "main.bicep"), "--stdout"]);
        Template = Build.ExitCode == 0 && JsonNode.Parse(Build.StandardOutput) is JsonObject t ? t : new JsonObject();
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

public sealed partial class BicepTemplateTests(CompiledMainTemplate compiled) : IClassFixture<CompiledMainTemplate>
{
    // Suppressions the templates may carry; each is explained in bicep/README.md ("Linter suppressions").
    private static readonly string[] DocumentedSuppressions = ["BCP081"];

    // App settings Flex Consumption rejects or ignores (Learn: functions-app-settings, "Flex Consumption plan deprecations").
    private static readonly string[] FlexDeprecatedSettings =
    [
        "FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_WORKER_RUNTIME_VERSION", "FUNCTIONS_EXTENSION_VERSION", "FUNCTIONS_MAX_HTTP_CONCURRENCY",
        "FUNCTIONS_WORKER_PROCESS_COUNT", "WEBSITE_RUN_FROM_PACKAGE", "WEBSITE_CONTENTSHARE", "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
        "WEBSITE_CONTENTOVERVNET", "WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT", "WEBSITE_USE_PLACEHOLDER_DOTNETISOLATED",
        "SCM_DO_BUILD_DURING_DEPLOYMENT", "ENABLE_ORYX_BUILD", "WEBSITE_TIME_ZONE",
    ];

    [Fact]
    public void MainTemplate_Builds_WithNoWarningsOrErrors()
    {
        Assert.True(compiled.Build.ExitCode == 0, $"bicep build failed:\n{compiled.Build.StandardError}");
        Assert.Empty(compiled.Build.Diagnostics);
        // Anything the parser did not recognise as a diagnostic is still a message we did not expect.
        Assert.Equal("", compiled.Build.StandardError.Trim());
        Assert.Equal("2.0", (string?)compiled.Template["languageVersion"]);
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public async Task ParameterFile_Builds_WithNoWarnings_AndKeepsTheEventSubscriptionOff(string environment)
    {
        var result = await BuildParamsAsync(environment);

        Assert.True(result.ExitCode == 0, $"bicep build-params failed:\n{result.StandardError}");
        Assert.Empty(result.Diagnostics);
        var parameters = Parameters(result);
        Assert.Equal(environment, (string?)parameters["environmentName"]?["value"]);
        Assert.False((bool)parameters["deployEventSubscription"]!["value"]!);
        Assert.Equal("", (string?)parameters["cookieSigningKey"]?["value"]);
    }

    [Fact]
    public async Task ParameterFile_TurnsOnTheEventSubscription_FromTheEnvironment()
    {
        var result = await BuildParamsAsync("dev", new Dictionary<string, string>
        {
            ["CARTCALL_DEPLOY_EVENT_SUBSCRIPTION"] = "true",
            ["CARTCALL_ACS_SOURCE_PHONE_NUMBER"] = "+18005550100",
        });

        Assert.Equal(0, result.ExitCode);
        var parameters = Parameters(result);
        Assert.True((bool)parameters["deployEventSubscription"]!["value"]!);
        Assert.Equal("+18005550100", (string?)parameters["acsSourcePhoneNumber"]?["value"]);
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public async Task ParameterFiles_TakeTheAdminKey_FromTheEnvironment(string environment)
    {
        var result = await BuildParamsAsync(environment, new Dictionary<string, string>
        {
            ["CARTCALL_ADMIN_KEY"] = "an-operator-admin-key-0123456789",
        });

        Assert.Equal(0, result.ExitCode);
        var parameters = Parameters(result);
        Assert.Equal("an-operator-admin-key-0123456789", (string?)parameters["adminKey"]?["value"]);
        Assert.Equal("securestring", (string?)compiled.Template["parameters"]?["adminKey"]?["type"]);
    }

    [Fact]
    public void FunctionApp_IsTheIsolatedWorkerOnFlexConsumption_WithASystemIdentity()
    {
        var site = Created("Microsoft.Web/sites");
        Assert.Equal("functionapp,linux", (string?)site.Body["kind"]);
        Assert.Equal("SystemAssigned", (string?)site.Body["identity"]?["type"]);
        var config = site.Properties?["functionAppConfig"];
        // Flex lists dotnet-isolated 10.0 among its runtimes (and not custom).
        Assert.Equal("dotnet-isolated", (string?)config?["runtime"]?["name"]);
        Assert.Equal("10.0", (string?)config?["runtime"]?["version"]);
        Assert.Equal("blobContainer", (string?)config?["deployment"]?["storage"]?["type"]);
        Assert.Equal("SystemAssignedIdentity", (string?)config?["deployment"]?["storage"]?["authentication"]?["type"]);

        var plan = Created("Microsoft.Web/serverfarms");
        Assert.Equal("FC1", (string?)plan.Body["sku"]?["name"]);
        Assert.Equal("FlexConsumption", (string?)plan.Body["sku"]?["tier"]);
    }

    [Fact]
    public void FunctionApp_KeepsOneAlwaysReadyInstance_ForTheDurableGroup()
    {
        // Flex scales every orchestration, activity and entity trigger as the group "durable"; the Durable Azure
        // Storage provider docs ask for one always-ready instance for it.
        var site = Created("Microsoft.Web/sites");
        var variables = (JsonObject)site.Template["variables"]!;
        var alwaysReady = ArmExpression.Unwrap((string?)site.Properties?["functionAppConfig"]?["scaleAndConcurrency"]?["alwaysReady"]);
        Assert.NotNull(alwaysReady);
        Assert.True(ArmExpression.TryCall(alwaysReady, "concat", out var parts), alwaysReady);
        // Unconditional: the first part is the durable entry itself, whatever the HTTP count.
        Assert.True(ArmExpression.TryCall(parts[0], "createArray", out var entries) && entries.Count == 1, parts[0]);
        Assert.True(ArmExpression.TryCall(entries[0], "variables", out var name) && name.Count == 1, entries[0]);
        Assert.True(ArmExpression.TryString(name[0], out var variable), name[0]);
        var durable = variables[variable]!;
        Assert.Equal("durable", (string?)durable["name"]);
        Assert.True((int)durable["instanceCount"]! >= 1);
    }

    [Fact]
    public void PlatformCors_StaysEmpty_SoThePerMerchantRulesApply()
    {
        // Empty, or absent (Flex then has none); main.bicep sets it empty so a redeploy clears portal edits.
        var site = Created("Microsoft.Web/sites");
        if (site.Properties?["siteConfig"]?["cors"] is JsonObject cors)
        {
            Assert.True(cors["allowedOrigins"] is null or JsonArray { Count: 0 }, $"platform CORS allows {cors["allowedOrigins"]?.ToJsonString()}");
            Assert.False((bool?)cors["supportCredentials"] ?? false);
        }

        // Nothing else sets origins (a sites/config 'web' resource, a parameter that feeds them).
        Assert.True(AllowedOrigins().Matches(compiled.Template.ToRawJson()).Count <= 1);
        Assert.DoesNotContain(((JsonObject)compiled.Template["parameters"]!).Select(p => p.Key), n => n.Contains("cors", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void HostJson_PollsTheDurableQueues_AtMost10SecondsApart()
    {
        // Durable on Flex Consumption: the Azure Storage provider docs ask for a queue polling interval of 10 s or less
        // (its default is 30 s, so the setting must be there).
        using var hostJson = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "host.json")));
        var durable = hostJson.RootElement.GetProperty("extensions").GetProperty("durableTask");
        var provider = durable.GetProperty("storageProvider");
        Assert.Equal("AzureStorage", provider.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(durable.GetProperty("hubName").GetString()));
        Assert.True(provider.TryGetProperty("maxQueuePollingInterval", out var polling), "host.json sets no maxQueuePollingInterval (default 30 s)");
        var interval = TimeSpan.Parse(polling.GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(interval, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10));
        // An app setting could override host.json (AzureFunctionsJobHost__extensions__...): the template sets none.
        Assert.DoesNotContain("AzureFunctionsJobHost__", compiled.Template.ToRawJson(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void AppSettings_UseIdentityBasedStorage_AndLeaveTheWorkerRuntimeToFlex()
    {
        var settings = Created("Microsoft.Web/sites/config");
        Assert.EndsWith("'appsettings')]", (string?)settings.Body["name"], StringComparison.Ordinal);
        var text = settings.Properties!.ToRawJson();
        // main passes the CartCall__* settings as the module's appSettings parameter.
        var passed = ArmTemplate.Module(compiled.Template, "functionApp")["properties"]!["parameters"]!["appSettings"]!.ToRawJson();

        Assert.Contains("createObject('AzureWebJobsStorage__accountName', parameters('storageAccountName')", text, StringComparison.Ordinal);
        Assert.Contains("parameters('appSettings')", text, StringComparison.Ordinal);
        Assert.Contains("'CartCall__Acs__ImmutableResourceId', reference('communication').outputs.immutableResourceId.value", passed, StringComparison.Ordinal);
        Assert.Contains("@Microsoft.KeyVault(", passed, StringComparison.Ordinal);
        Assert.Contains("'APPLICATIONINSIGHTS_CONNECTION_STRING', reference('appInsights').ConnectionString", text, StringComparison.Ordinal);
        Assert.Contains("'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', 'Authorization=AAD'", text, StringComparison.Ordinal);
        // Settings Flex Consumption rejects or ignores ("Flex Consumption plan deprecations"): the runtime comes from
        // functionAppConfig, deployment from its blob container, and there is no content share.
        var json = compiled.Template.ToRawJson();
        foreach (var setting in FlexDeprecatedSettings)
        {
            Assert.DoesNotContain(setting, json, StringComparison.OrdinalIgnoreCase);
        }

        Assert.DoesNotContain("AccountKey=", compiled.Template.ToRawJson(), StringComparison.Ordinal);
        Assert.DoesNotMatch(ListFunction(), text);
    }

    [Fact]
    public void Storage_AllowsNoSharedKeys_AndHoldsTheAppsTablesAndQueues()
    {
        var account = Created("Microsoft.Storage/storageAccounts");
        Assert.False((bool)account.Properties!["allowSharedKeyAccess"]!);

        var variables = (JsonObject)compiled.Template["variables"]!;
        Assert.Equal(
            ["merchants", "sessions", "offers", "counters", "agents", "profiles", "calls", "hooks", "hookdeliveries", "ledger", "plans", "holds", "experiments", "outcomes", "weights", "unsettled"],
            variables["tableNames"]!.AsArray().Select(n => (string?)n));
        Assert.Equal(["reevaluate", "outbox", "hold-release"], variables["queueNames"]!.AsArray().Select(n => (string?)n));
        var storageModule = ArmTemplate.ModuleTemplate(compiled.Template, "storage").ToRawJson();
        Assert.Contains("-poison", storageModule, StringComparison.Ordinal);
    }

    [Fact]
    public void EventGrid_TakesCloudEvents_AndDeliversThemToDeliverOffer()
    {
        var topic = Created("Microsoft.EventGrid/topics");
        Assert.Equal("CloudEventSchemaV1_0", (string?)topic.Properties?["inputSchema"]);

        var subscription = Created("Microsoft.EventGrid/topics/eventSubscriptions");
        Assert.Equal("CloudEventSchemaV1_0", (string?)subscription.Properties?["eventDeliverySchema"]);
        Assert.Equal("WebHook", (string?)subscription.Properties?["destination"]?["endpointType"]);
        Assert.NotNull(subscription.Properties?["retryPolicy"]?["maxDeliveryAttempts"]);
        Assert.NotNull(subscription.Properties?["retryPolicy"]?["eventTimeToLiveInMinutes"]);

        // endpointUrl is https://<the site's default host name> + the deliveryPath parameter (Bicep inlines the
        // variable because it reads a runtime value); main passes its deliveryPath variable.
        var endpointUrl = (string?)subscription.Properties?["destination"]?["properties"]?["endpointUrl"];
        Assert.Contains("format('https://{0}{1}', reference('site').defaultHostName, parameters('deliveryPath'))", endpointUrl, StringComparison.Ordinal);

        var module = ArmTemplate.Module(compiled.Template, "offerDelivery");
        Assert.Equal("/api/offers/deliveries", Resolve((string?)module["properties"]?["parameters"]?["deliveryPath"]?["value"]));
    }

    [Fact]
    public void TheDeliveryKey_IsKeptInKeyVault_GivenToTheApp_AndPutInTheSubscriptionEndpoint()
    {
        // The deployment review found DeliverOffer anonymous in Azure: the key was optional and nothing set it.
        var secret = ArmTemplate.AllResources(ArmTemplate.ModuleTemplate(compiled.Template, "keyVault"))
            .Single(r => r.Type == "Microsoft.KeyVault/vaults/secrets" && !r.IsExisting && r.Body.ToRawJson().Contains("eventDeliveryKeySecretName", StringComparison.Ordinal));
        Assert.Null(secret.Body["condition"]);
        Assert.Equal("[parameters('eventDeliveryKey')]", (string?)secret.Properties?["value"]);

        var passedToVault = ArmTemplate.Module(compiled.Template, "keyVault")["properties"]!["parameters"]!["eventDeliveryKey"]!.ToRawJson();
        var passedToSubscription = ArmTemplate.Module(compiled.Template, "offerDelivery")["properties"]!["parameters"]!["deliveryKey"]!.ToRawJson();
        Assert.Equal(passedToVault, passedToSubscription);
        // The operator's key, else one derived from the storage account's key: secret, and stable across deployments.
        Assert.Contains("parameters('eventDeliveryKey')", passedToVault, StringComparison.Ordinal);
        Assert.Contains("listKeys(", passedToVault, StringComparison.Ordinal);
        Assert.DoesNotContain("newGuid", compiled.Template.ToRawJson(), StringComparison.Ordinal);

        var subscription = Created("Microsoft.EventGrid/topics/eventSubscriptions");
        var endpointUrl = (string?)subscription.Properties?["destination"]?["properties"]?["endpointUrl"];
        Assert.Contains("?code={1}", endpointUrl, StringComparison.Ordinal);
        Assert.Contains("parameters('deliveryKey')", endpointUrl, StringComparison.Ordinal);
        var deliveryKeyParameter = ArmTemplate.ModuleTemplate(compiled.Template, "offerDelivery")["parameters"]!["deliveryKey"]!;
        Assert.Equal("securestring", (string?)deliveryKeyParameter["type"]);
    }

    [Fact]
    public void EventSubscription_IsDeployedOnlyWhenAskedFor_AndIsOffByDefault()
    {
        var module = ArmTemplate.Module(compiled.Template, "offerDelivery");
        Assert.Equal("[parameters('deployEventSubscription')]", (string?)module["condition"]);
        Assert.False((bool)compiled.Template["parameters"]!["deployEventSubscription"]!["defaultValue"]!);
    }

    [Fact]
    public void AppIdentity_IsGrantedTheDataRoles_ItUsesInsteadOfKeys()
    {
        var roles = ArmTemplate.ModuleTemplate(compiled.Template, "roles");
        var roleIds = ((JsonObject)roles["variables"]!["roles"]!).ToDictionary(p => p.Key, p => (string?)p.Value);
        var expected = new Dictionary<string, string>
        {
            ["storageTableDataContributor"] = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
            ["storageQueueDataContributor"] = "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
            ["storageBlobDataOwner"] = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
            ["eventGridDataSender"] = "d5a91429-5739-47e2-a06b-3470a27159e7",
            ["webPubSubServiceOwner"] = "12cf5a90-567b-43ae-8102-96cf46c7d9b4",
            ["contributor"] = "b24988ac-6180-42a0-ab88-20f7382dd24c",
        };
        // Durable's Azure Storage provider needs blob (leases; Owner also covers the host's keys and the Flex package),
        // queue (control and work-item queues, the queue triggers) and table (history and instances) data roles on
        // the account AzureWebJobsStorage names. Storage Account Contributor is documented only for blob triggers.
        string[] storageRoles = ["storageBlobDataOwner", "storageQueueDataContributor", "storageTableDataContributor"];
        foreach (var (name, id) in expected)
        {
            Assert.Equal(id, roleIds.GetValueOrDefault(name));
            var granted = ArmTemplate.AllResources(roles)
                .Where(r => r.Type == "Microsoft.Authorization/roleAssignments")
                .Where(r => ((string?)r.Properties?["roleDefinitionId"] ?? "").Contains($"variables('roles').{name})", StringComparison.Ordinal))
                .ToList();
            Assert.True(granted.Count == 1, $"expected one assignment of {name}, found {granted.Count}");
            Assert.Equal("[parameters('appPrincipalId')]", (string?)granted[0].Properties?["principalId"]);
            if (storageRoles.Contains(name))
            {
                Assert.Equal("[resourceId('Microsoft.Storage/storageAccounts', parameters('storageAccountName'))]", (string?)granted[0].Body["scope"]);
            }
        }
    }

    [Fact]
    public void Outputs_NameTheEndpointsTheLeadNeeds()
    {
        var outputs = ArmTemplate.Outputs(compiled.Template);
        foreach (var name in new[]
                 {
                     "functionAppName", "functionAppDefaultHostName", "eventGridTopicEndpoint", "webPubSubEndpoint",
                     "acsEndpoint", "acsImmutableResourceId", "storageAccountName",
                 })
        {
            Assert.True(outputs.ContainsKey(name), $"main.bicep has no output '{name}'");
        }

        var acsOutputs = ArmTemplate.Outputs(ArmTemplate.ModuleTemplate(compiled.Template, "communication"));
        Assert.Contains("immutableResourceId", (string?)acsOutputs["immutableResourceId"]["value"], StringComparison.Ordinal);
    }

    [Fact]
    public void Outputs_CarryNoSecrets_InAnyTemplate()
    {
        foreach (var (path, template) in ArmTemplate.Templates(compiled.Template))
        {
            foreach (var (name, output) in ArmTemplate.Outputs(template))
            {
                var where = $"{path} output '{name}'";
                var type = (string?)output["type"] ?? "";
                Assert.False(type.StartsWith("secure", StringComparison.OrdinalIgnoreCase), $"{where} is {type}");
                Assert.DoesNotMatch(SecretName(), name);
                var value = output["value"]?.ToRawJson() ?? "";
                Assert.DoesNotMatch(ListFunction(), value);
                Assert.DoesNotContain("ConnectionString", value, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain("cookieSigningKey')", value, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [InlineData("param unused string\noutput o string = 'x'\n", "no-unused-params")]
    [InlineData("param n string\nresource s 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {\n  name: n\n}\noutput k string = s.listKeys().keys[0].value\n", "outputs-should-not-contain-secrets")]
    public async Task Linter_ReportsAWarning_ForTheMistakesTheTemplatesMustNotMake(string source, string rule)
    {
        // Proves the harness can fail: the same config and CLI flag a known mistake.
        var folder = Directory.CreateTempSubdirectory("cartcall-bicep-lint-").FullName;
        try
        {
            File.Copy(Path.Combine(RepositoryPaths.Bicep, "bicepconfig.json"), Path.Combine(folder, "bicepconfig.json"));
            var file = Path.Combine(folder, "bad.bicep");
            await File.WriteAllTextAsync(file, source);

            var result = await BicepCli.RunAsync(["build", file, "--stdout"]);

            Assert.Contains(result.Diagnostics, d => d.Level == "Warning" && d.Code == rule);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void EverySuppression_IsOneTheReadmeExplains()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Bicep, "README.md"));
        var suppressions = Directory.EnumerateFiles(RepositoryPaths.Bicep, "*.bicep*", SearchOption.AllDirectories)
            .SelectMany(f => Suppression().Matches(File.ReadAllText(f)).Select(m => (File: Path.GetFileName(f), Code: m.Groups[1].Value)))
            .ToList();

        foreach (var (file, code) in suppressions)
        {
            Assert.True(DocumentedSuppressions.Contains(code), $"{file} suppresses {code}, which is not in the documented list");
            Assert.Contains(code, readme, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(suppressions, s => s.Code.Length == 0);
    }

    private ArmResource Created(string type)
    {
        var matches = ArmTemplate.AllResources(compiled.Template).Where(r => r.Type == type && !r.IsExisting).ToList();
        Assert.True(matches.Count == 1, $"expected one {type}, found {matches.Count}");
        return matches[0];
    }

    /// <summary>Resolves a literal or a <c>[variables('x')]</c> expression against main's variables.</summary>
    private string? Resolve(string? expression)
    {
        var match = expression is null ? null : VariableReference().Match(expression);
        return match is { Success: true }
            ? (string?)compiled.Template["variables"]?[match.Groups[1].Value]
            : expression;
    }

    private static Task<BicepResult> BuildParamsAsync(string environment, IReadOnlyDictionary<string, string>? env = null) =>
        BicepCli.RunAsync(
            ["build-params", Path.Combine(RepositoryPaths.Bicep, $"main.parameters.{environment}.bicepparam"), "--stdout"],
            env);

    private static JsonObject Parameters(BicepResult result)
    {
        var envelope = JsonNode.Parse(result.StandardOutput)!;
        return (JsonObject)JsonNode.Parse((string)envelope["parametersJson"]!)!["parameters"]!;
    }

    [GeneratedRegex("\"allowedOrigins\"")]
    private static partial Regex AllowedOrigins();

    [GeneratedRegex(@"\blist[A-Za-z]*\(")]
    private static partial Regex ListFunction();

    [GeneratedRegex("(?i)(password|secret|connectionstring|accesskey|primarykey|sastoken|functionkey)")]
    private static partial Regex SecretName();

    [GeneratedRegex(@"^\[variables\('([^']+)'\)\]$")]
    private static partial Regex VariableReference();

    [GeneratedRegex(@"#disable-(?:next-line|diagnostics)\s+([A-Za-z0-9-]*)")]
    private static partial Regex Suppression();
}

internal static class JsonText
{
    private static readonly JsonSerializerOptions Raw = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>JSON text without escaping quotes and the like, so ARM expressions read as written.</summary>
    public static string ToRawJson(this JsonNode node) => node.ToJsonString(Raw);
}
