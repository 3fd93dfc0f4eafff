using System.CommandLine;
using System.Net;
using System.Text.Json;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Host.Plugins;
using AlignFx.Host.Serve;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlignFx.Host.Cli;

/// <summary><c>alignfx serve CHECKPOINT</c>: a checkpointed policy as an OpenAI-compatible endpoint until Ctrl+C.</summary>
internal static class ServeCommand
{
    /// <summary>The chat-model component that turns a checkpoint into a policy (the LanguageModels plugin's).</summary>
    public const string PolicyChatModel = "policy";

    public static Command Build(CliEnvironment env, Option<string[]> plugins, Option<bool> verbose)
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "A policy checkpoint folder (what the pretrain stage writes)." };
        var host = new Option<string>("--host")
        {
            Description = "The address to listen on (loopback by default; 0.0.0.0 exposes the policy to the network).",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        var port = new Option<int>("--port") { Description = "The TCP port.", DefaultValueFactory = _ => 8000 };
        var modelId = new Option<string?>("--model-id") { Description = "The model id clients name (default: the checkpoint folder's name)." };
        var command = new Command("serve",
            "Serve a checkpointed policy as an OpenAI-compatible endpoint (/v1/models, /v1/chat/completions) until Ctrl+C.")
        {
            checkpoint, host, port, modelId,
        };
        command.SetAction(parse => Run(env, parse.GetValue(checkpoint)!, parse.GetValue(host)!, parse.GetValue(port), parse.GetValue(modelId),
            parse.GetValue(plugins) ?? [], parse.GetValue(verbose)));
        return command;
    }

    private static int Run(CliEnvironment env, string checkpoint, string hostText, int port, string? modelId, string[] pluginDirs, bool verbose)
    {
        if (!IPAddress.TryParse(hostText, out IPAddress? address))
        {
            env.Error.WriteLine($"--host {hostText}: not an IP address; use 127.0.0.1 (the default) or 0.0.0.0.");
            return ExitCodes.InvalidInput;
        }
        if (port is < 0 or > 65535)
        {
            env.Error.WriteLine($"--port {port}: must be in [0, 65535].");
            return ExitCodes.InvalidInput;
        }
        if (!Directory.Exists(checkpoint))
        {
            env.Error.WriteLine($"{checkpoint}: no such checkpoint folder; give the folder the pretrain stage wrote (runs/<run-id>/...).");
            return ExitCodes.InvalidInput;
        }
        PluginCatalog catalog = env.LoadPlugins(pluginDirs);
        using ILoggerFactory loggers = env.CreateLoggers(verbose);
        IChatClient chat;
        try
        {
            chat = CreatePolicyChatModel(catalog, loggers, checkpoint, modelId);
        }
        catch (InvalidOperationException ex)
        {
            env.Error.WriteLine($"{checkpoint}: cannot load the policy: {ex.Message}");
            return ExitCodes.InvalidInput;
        }
        using (chat)
        {
            var policy = (IPolicy)chat.GetService(typeof(IPolicy))!;
            string id = modelId ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(checkpoint)));
            using CancellationTokenSource cts = env.CancelOnInterrupt(out IDisposable signals);
            using (signals)
            {
                PolicyServer server;
                try
                {
                    server = PolicyServer.StartAsync(new ServeOptions(policy, id, address, port), loggers, cts.Token).GetAwaiter().GetResult();
                }
                catch (ServeBindException ex)
                {
                    env.Error.WriteLine($"error: {ex.Message}");
                    return ExitCodes.InvalidInput;
                }
                env.Output.WriteLine($"Serving {id} at {server.BaseAddress}v1 (OpenAI-compatible; Ctrl+C to stop)");
                env.Output.Flush();
                try
                {
                    server.WaitForShutdownAsync(cts.Token).GetAwaiter().GetResult();
                }
                finally
                {
                    server.DisposeAsync().AsTask().GetAwaiter().GetResult();
                }
                env.Output.WriteLine($"Stopped after {server.Requests} chat completions.");
            }
        }
        return ExitCodes.Ok;
    }

    /// <summary>
    /// The checkpoint as the <c>policy</c> chat model, created through the catalog like any component (the host does
    /// not know the plugin that reads checkpoints).
    /// </summary>
    internal static IChatClient CreatePolicyChatModel(IComponentCatalog catalog, ILoggerFactory loggers, string checkpoint, string? modelId)
    {
        if (catalog.Find(ComponentKinds.ChatModel, PolicyChatModel) is null)
        {
            throw new InvalidOperationException(
                $"no chat model named '{PolicyChatModel}' is registered; the LanguageModels plugin provides it (is the built-in plugins folder there?).");
        }
        var services = new ServiceCollection().AddSingleton(loggers).AddSingleton(typeof(ILogger<>), typeof(Logger<>)).BuildServiceProvider();
        var options = JsonSerializer.SerializeToElement(new { checkpoint = Path.GetFullPath(checkpoint), modelId });
        return new ComponentFactory(catalog, services).Create<IChatClient>(new ComponentRef { Name = PolicyChatModel, Options = options });
    }
}
