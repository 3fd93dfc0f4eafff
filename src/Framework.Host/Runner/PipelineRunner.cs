using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Host.Chat;
using AlignFx.Host.Manifests;
using AlignFx.Host.Plugins;
using AlignFx.Host.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlignFx.Host.Runner;

/// <summary>How one pipeline run ended.</summary>
/// <param name="RunId">The run's id in the store.</param>
/// <param name="Status">Completed, failed or cancelled.</param>
/// <param name="Error">What went wrong (naming the stage and plugin), or null.</param>
/// <param name="Artifacts">The results the stages left, for the caller to summarise.</param>
public sealed record RunOutcome(string RunId, RunStatus Status, string? Error, IArtifactBag Artifacts);

/// <summary>Where a run belongs when it is one arm and seed of a compare.</summary>
/// <param name="CompareId">The compare's id in the store.</param>
/// <param name="Arm">The arm's name.</param>
public sealed record CompareMembership(string CompareId, string Arm);

/// <summary>
/// Runs a validated pipeline: creates the task and policy, runs the stages in order passing their results
/// through one artifact bag, and records everything in the store. One run seed derives every stream:
/// stage <c>i</c> with id <c>x</c> sees <c>RandomStreams.Derive(seed, "stage/i/x")</c>.
/// </summary>
public sealed class PipelineRunner(IComponentCatalog catalog, RunStore store, ILoggerFactory loggers, TextWriter progressOutput, bool interactive = false)
{
    /// <summary>The tensor device every run uses, overriding the manifest's (<c>--device</c>); null: the manifest's, else cpu.</summary>
    public string? Device { get; init; }

    /// <summary>
    /// Answer every chat model that is not a policy of the run from the store's response cache only; a request the
    /// cache lacks fails the run, naming the request (<c>alignfx run --replay</c>).
    /// </summary>
    public bool Replay { get; init; }

    /// <summary>
    /// Reuse the results of cacheable stages whose inputs are identical to one already run with this store, and save
    /// new ones (<see cref="StageCache"/>); false: <c>--no-cache</c>.
    /// </summary>
    public bool UseCache { get; init; } = true;

    /// <summary>Runs <paramref name="manifest"/> with <paramref name="seed"/> (null: the manifest's).</summary>
    public async Task<RunOutcome> RunAsync(PipelineManifest manifest, long? seed = null, CompareMembership? compare = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        // Plugins create tensors without naming a device: the run's device is the process default while it runs.
        var previous = AlignFx.Tensors.torch.get_default_device();
        AlignFx.Tensors.torch.set_default_device(TensorDevices.Resolve(Device ?? manifest.Device));
        try
        {
            return await RunOnDeviceAsync(manifest, seed, compare, cancellation).ConfigureAwait(false);
        }
        finally
        {
            AlignFx.Tensors.torch.set_default_device(previous);
        }
    }

    private async Task<RunOutcome> RunOnDeviceAsync(PipelineManifest manifest, long? seed, CompareMembership? compare, CancellationToken cancellation)
    {
        long runSeed = seed ?? manifest.Seed;
        using RunRecorder recorder = store.BeginRun(new NewRun(manifest.Name, runSeed, manifest.ToCanonicalJson())
        {
            PlannedStages = manifest.Stages.Count,
            CompareId = compare?.CompareId,
            Arm = compare?.Arm,
        });
        ILogger logger = loggers.CreateLogger("alignfx.run");
        var cache = new StageCache(StageCache.RootOf(store), logger);
        var progress = new ConsoleProgress(progressOutput, interactive);
        var metrics = new RunMetrics(recorder);
        var runContext = new RunContext(recorder, metrics, runSeed, logger, progress, cancellation);
        var artifacts = new ArtifactBag();

        var services = new ServiceCollection();
        if (catalog is PluginCatalog plugins)
        {
            plugins.AddTo(services);
        }
        else
        {
            services.AddSingleton(catalog);
        }
        services.AddSingleton(loggers);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSingleton<IRunContext>(runContext);
        // The task is created first; every later component (the policy, stages, what they nest) may take it.
        ITask? task = null;
        services.AddSingleton(_ => task ?? throw new InvalidOperationException("The task is not created yet; the task itself cannot depend on ITask."));
        // Components that nest others (a multi-objective reward of several rewards) or use what earlier stages
        // produced (the reward model a stage trained) take these two.
        services.AddSingleton<IArtifactBag>(artifacts);
        ManifestComponentFactory? factory = null;
        services.AddSingleton<IComponentFactory>(_ => factory ?? throw new InvalidOperationException("The component factory is not ready yet."));
        // The pipeline's current policy, for components that act through it (the `policy` chat model).
        IPolicy? currentPolicy = null;
        StageContext? running = null;
        services.AddTransient<IPolicy>(_ => running?.Policy ?? currentPolicy ?? throw new InvalidOperationException("The policy is not created yet."));
        // Roles render their prompts (Semantic Kernel templates) through this.
        services.AddSingleton<AlignFx.Abstractions.Roles.IRolePrompter, SemanticKernelRolePrompter>();
        await using ServiceProvider provider = services.BuildServiceProvider();
        var chat = new ChatRunScope(new ChatStore(store), recorder, loggers, runSeed, Replay);
        factory = new ManifestComponentFactory(manifest, catalog, provider, (model, name) => ChatMiddleware.Wrap(model, name, chat));

        string where = "creating the task";
        try
        {
            task = Create<ITask>(provider, manifest.Task);
            where = "creating the policy";
            var policy = Create<IPolicy>(provider, manifest.Policy);
            currentPolicy = policy;
            StageContext? previous = null;
            for (int i = 0; i < manifest.Stages.Count; i++)
            {
                BoundStage stage = manifest.Stages[i];
                where = $"stage {i} '{stage.Id}' ({Describe(stage.Component.Descriptor)})";
                cancellation.ThrowIfCancellationRequested();
                recorder.BeginStage(stage.Component.Descriptor.Name, stage.Id);
                logger.LogInformation("Stage {Index} '{Id}' started", i, stage.Id);
                metrics.SetStage(i, stage.Id);
                var context = new StageContext(recorder, metrics, RandomStreams.Derive(runSeed, $"stage/{i}/{stage.Id}"), logger,
                    progress, cancellation, task, previous?.Policy ?? policy, artifacts, factory);
                running = context;
                var component = Create<IStage>(provider, stage.Component);
                if (UseCache && component is ICacheableStage cacheable)
                {
                    string key = StageCache.Key(manifest, i, runSeed, Device ?? manifest.Device ?? "cpu");
                    bool restored = cache.TryRestore(key, cacheable, context, recorder, metrics);
                    recorder.SetStageCache(key, restored);
                    if (!restored)
                    {
                        await progress.RunAsync(() => component.RunAsync(context, cancellation));
                        cache.TrySave(key, cacheable, context, store, recorder, i);
                    }
                }
                else
                {
                    await progress.RunAsync(() => component.RunAsync(context, cancellation));
                }
                recorder.EndStage();
                metrics.SetStage(-1, "");
                logger.LogInformation("Stage {Index} '{Id}' completed", i, stage.Id);
                previous = context;
            }
            recorder.End(RunStatus.Completed);
            return new RunOutcome(recorder.RunId, RunStatus.Completed, null, artifacts);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            string message = $"cancelled during {where}";
            recorder.End(RunStatus.Cancelled, message);
            return new RunOutcome(recorder.RunId, RunStatus.Cancelled, message, artifacts);
        }
        catch (Exception ex)
        {
            string message = $"{where} failed: {ex.GetType().Name}: {ex.Message}";
            // One line on the console; the stack trace with --verbose (debug) and always in the store, after the message.
            logger.LogError("Run {RunId}: {Message}", recorder.RunId, message);
            logger.LogDebug(ex, "Run {RunId}: the stack trace", recorder.RunId);
            recorder.End(RunStatus.Failed, message + "\n\n" + ex);
            return new RunOutcome(recorder.RunId, RunStatus.Failed, message, artifacts);
        }
    }

    private static T Create<T>(IServiceProvider services, BoundComponent bound) where T : class =>
        ComponentActivator.Create(services, bound.Descriptor, bound.Options) as T
        ?? throw new InvalidOperationException($"{Describe(bound.Descriptor)} does not implement {typeof(T).Name}.");

    private static string Describe(ComponentDescriptor descriptor) =>
        descriptor.Plugin.Length == 0 ? $"{descriptor.Kind} '{descriptor.Name}'" : $"{descriptor.Kind} '{descriptor.Name}' from plugin '{descriptor.Plugin}'";
}
