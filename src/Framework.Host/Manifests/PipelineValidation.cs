using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Host.Plugins;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.Host.Manifests;

/// <summary>
/// The last pass of validation: calls <see cref="IPipelineValidatable"/> on every bound component whose options
/// implement it, once the whole pipeline bound without errors, so cross-component constraints and the files options
/// name are checked by <c>validate</c> exactly as <c>run</c> would meet them.
/// </summary>
internal static class PipelineValidation
{
    public static void Check(PipelineManifest pipeline, BindContext context)
    {
        var components = new List<(BoundComponent Component, string OptionsPath)>
        {
            (pipeline.Task, OptionsPath(pipeline.Task)),
            (pipeline.Policy, OptionsPath(pipeline.Policy)),
        };
        components.AddRange(pipeline.Stages.Select(s => (s.Component, s.Component.Path)));
        components.AddRange(context.Resolved.Values
            .Where(c => !ReferenceEquals(c, pipeline.Task) && !ReferenceEquals(c, pipeline.Policy))
            .Select(c => (c, OptionsPath(c))));
        if (!components.Any(c => c.Component.Options is IPipelineValidatable))
            return;

        var validation = new PipelineValidationContext(() => CreateTask(pipeline, context))
        {
            Seed = pipeline.Seed,
            TaskOptions = pipeline.Task.Options,
            PolicyOptions = pipeline.Policy.Options,
        };
        foreach (var (component, optionsPath) in components)
        {
            if (component.Options is not IPipelineValidatable validatable)
                continue;
            IEnumerable<ValidationResult> results;
            try
            {
                results = validatable.Validate(validation).ToList();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                context.Error(optionsPath, $"the checks of {KindWords.Singular(component.Descriptor.Kind)} '{component.Descriptor.Name}' failed ({ex.GetType().Name}: {ex.Message}); this is a bug in plugin '{component.Descriptor.Plugin}'");
                continue;
            }
            foreach (var result in results)
            {
                var message = result.ErrorMessage ?? "is not valid";
                var members = result.MemberNames.ToList();
                if (members.Count == 0)
                    context.Error(optionsPath, message);
                foreach (var member in members)
                    context.Error(JsonPath.Property(optionsPath, OptionsBinder.JsonName(component.Options.GetType().GetProperty(member)) ?? member), message);
            }
        }
    }

    /// <summary>Where a nested component's options sit: under its <c>options</c> (a stage's options are the stage object itself).</summary>
    private static string OptionsPath(BoundComponent component) => JsonPath.Property(component.Path, "options");

    private static ITask? CreateTask(PipelineManifest pipeline, BindContext context)
    {
        try
        {
            var services = new ServiceCollection();
            if (context.Catalog is PluginCatalog plugins)
                plugins.AddTo(services);
            else
                services.AddSingleton(context.Catalog);
            services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
            services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
            services.AddSingleton<IRunContext>(new ValidationRunContext(pipeline.Seed));
            using var provider = services.BuildServiceProvider();
            return ComponentActivator.Create(provider, pipeline.Task.Descriptor, pipeline.Task.Options) as ITask;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            context.Error(pipeline.Task.Path, $"the task cannot be created to check the pipeline: {ex.GetBaseException().Message}");
            return null;
        }
    }

    /// <summary>A run context with the seed only: enough for a task to draw its prompts and corpus.</summary>
    private sealed class ValidationRunContext(long seed) : IRunContext
    {
        public string RunId => "validation";
        public long Seed { get; } = seed;
        public ILogger Logger => NullLogger.Instance;
        public IMetricSink Metrics => throw new NotSupportedException("Nothing is recorded while a manifest is validated.");
        public IArtifactStore Files => throw new NotSupportedException("Nothing is written while a manifest is validated.");
        public IProgressReporter Progress => throw new NotSupportedException("Nothing runs while a manifest is validated.");
        public CancellationToken Cancellation => CancellationToken.None;
        public string Device => "cpu";
        public IFeedbackLog? FeedbackLog => null;
    }
}
