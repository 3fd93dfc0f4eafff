using System.Collections;
using System.Reflection;
using AlignFx.Abstractions.Plugins;

namespace AlignFx.Host.Manifests;

/// <summary>How much of a budget a pipeline spends: the [Budget]-marked option values (defaults included), stage by stage.</summary>
public static class BudgetSpend
{
    /// <summary>
    /// The amount each stage of <paramref name="pipeline"/> spends of <paramref name="budget"/>, in stage order,
    /// counting the options of components nested in the stage's options too.
    /// </summary>
    public static IReadOnlyList<(string StageId, double Amount)> Of(PipelineManifest pipeline, string budget) =>
        [.. pipeline.Stages.Select(stage => (stage.Id, Walk(stage.Component.Options, budget, pipeline)))];

    private static double Walk(object options, string budget, PipelineManifest pipeline)
    {
        var total = 0.0;
        foreach (var property in OptionsBinder.OptionProperties(options.GetType()).Values)
        {
            var value = property.GetValue(options);
            if (property.GetCustomAttribute<BudgetAttribute>()?.Name == budget && value is IConvertible number and not string)
                total += number.ToDouble(System.Globalization.CultureInfo.InvariantCulture);
            total += value switch
            {
                ComponentRef reference => pipeline.Resolve(reference) is { } bound ? Walk(bound.Options, budget, pipeline) : 0,
                string or null => 0,
                IEnumerable items => items.OfType<ComponentRef>().Sum(r => pipeline.Resolve(r) is { } b ? Walk(b.Options, budget, pipeline) : 0),
                _ when OptionsBinder.IsOptionsClass(value.GetType()) => Walk(value, budget, pipeline),
                _ => 0,
            };
        }

        return total;
    }
}
