using System.Reflection;
using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Host.Plugins;

/// <summary>
/// Keeps the truth away from the components that must not see it. A component whose class carries
/// <see cref="SeesGoldTruthAttribute"/> (simulated evaluators, gold oracles), a task and a stage (the harness) get the
/// services as they are, plus the task's <see cref="IGoldEvaluator"/>; every other component gets the task without its
/// gold evaluator, and one whose constructor asks for <see cref="IGoldEvaluator"/> is refused before it is created.
/// </summary>
internal static class GoldIsolation
{
    /// <summary>Whether the component may see the task's gold evaluator.</summary>
    public static bool SeesGold(ComponentDescriptor descriptor) =>
        descriptor.Kind is ComponentKinds.Task or ComponentKinds.Stage
        || descriptor.ImplementationType.GetCustomAttribute<SeesGoldTruthAttribute>() is not null;

    /// <summary>The services <paramref name="descriptor"/>'s constructor may draw from.</summary>
    /// <exception cref="InvalidOperationException">An untrusted component asks for the gold evaluator.</exception>
    public static IServiceProvider ServicesFor(IServiceProvider services, ComponentDescriptor descriptor)
    {
        if (SeesGold(descriptor))
        {
            return new TrustedServices(services);
        }
        bool asksForGold = descriptor.ImplementationType.GetConstructors()
            .Any(c => c.GetParameters().Any(p => p.ParameterType == typeof(IGoldEvaluator)));
        if (asksForGold)
        {
            throw new InvalidOperationException(
                $"{ComponentActivator.Describe(descriptor)} asks for the task's gold evaluator, which only simulated evaluators and gold " +
                $"oracles receive. Mark its class [{nameof(SeesGoldTruthAttribute).Replace("Attribute", "", StringComparison.Ordinal)}(\"why\")] " +
                "if it simulates an evaluator that knows the truth; judges, critics, debaters, policies and reward models must not see it.");
        }
        return new UntrustedServices(services);
    }

    /// <summary>The task, as components that must not see the truth get it: everything but <see cref="ITask.Gold"/>.</summary>
    private sealed class TaskWithoutGold(ITask task) : ITask
    {
        public IReadOnlyList<string> Splits => task.Splits;
        public IReadOnlyList<Prompt> GetPrompts(string split) => task.GetPrompts(split);
        public IGoldEvaluator? Gold => null;
        public IClaimChecker? Claims => task.Claims;
        public IReadOnlyList<PretrainingExample> GetPretrainingCorpus() => task.GetPretrainingCorpus();
    }

    private sealed class TrustedServices(IServiceProvider inner) : IServiceProvider
    {
        public object? GetService(Type serviceType) =>
            serviceType == typeof(IGoldEvaluator) ? (inner.GetService(typeof(ITask)) as ITask)?.Gold : inner.GetService(serviceType);
    }

    private sealed class UntrustedServices(IServiceProvider inner) : IServiceProvider
    {
        public object? GetService(Type serviceType)
        {
            if (serviceType == typeof(IGoldEvaluator))
            {
                return null;
            }
            object? service = inner.GetService(serviceType);
            return service is ITask task && serviceType == typeof(ITask) ? new TaskWithoutGold(task) : service;
        }
    }
}
