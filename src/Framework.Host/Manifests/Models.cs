using AlignFx.Abstractions.Plugins;

namespace AlignFx.Host.Manifests;

/// <summary>A component named in a manifest, resolved in the catalog, with its options bound and validated.</summary>
/// <param name="Descriptor">The registered component.</param>
/// <param name="Options">An instance of <see cref="ComponentDescriptor.OptionsType"/>: defaults overlaid with the manifest's values.</param>
/// <param name="Path">The JSON path of the component in the manifest (for messages at run time).</param>
public sealed record BoundComponent(ComponentDescriptor Descriptor, object Options, string Path);

/// <summary>One stage of a pipeline, in run order.</summary>
/// <param name="Id">The stage's id: the one written, else the stage name (suffixed <c>-2</c>, <c>-3</c> ... when a stage repeats).</param>
/// <param name="Component">The stage component and its bound options.</param>
public sealed record BoundStage(string Id, BoundComponent Component);

/// <summary>A validated pipeline manifest: everything the runner needs, nothing run yet.</summary>
public sealed class PipelineManifest
{
    private readonly IReadOnlyDictionary<ComponentRef, BoundComponent> _nested;

    internal PipelineManifest(
        string name,
        string? description,
        int seed,
        IReadOnlyList<string> pluginDirectories,
        BoundComponent task,
        BoundComponent policy,
        IReadOnlyList<BoundStage> stages,
        IReadOnlyDictionary<ComponentRef, BoundComponent> nested)
    {
        Name = name;
        Description = description;
        Seed = seed;
        PluginDirectories = pluginDirectories;
        Task = task;
        Policy = policy;
        Stages = stages;
        _nested = nested;
    }

    /// <summary>The pipeline's name.</summary>
    public string Name { get; }

    /// <summary>The free-text description, if any.</summary>
    public string? Description { get; }

    /// <summary>The run seed every component's random stream derives from (0 when the manifest gives none).</summary>
    public int Seed { get; }

    /// <summary>The tensor device the manifest asks for (<c>cpu</c>, <c>torch:cpu</c>, <c>cuda[:n]</c>); null: the default (cpu).</summary>
    public string? Device { get; init; }

    /// <summary>The plugin folders the manifest lists, as absolute paths (relative ones resolved against the manifest's folder).</summary>
    public IReadOnlyList<string> PluginDirectories { get; }

    /// <summary>The task.</summary>
    public BoundComponent Task { get; }

    /// <summary>The policy.</summary>
    public BoundComponent Policy { get; }

    /// <summary>The stages in run order (at least one).</summary>
    public IReadOnlyList<BoundStage> Stages { get; }

    /// <summary>
    /// The component a <see cref="ComponentRef"/> found inside this manifest's options names, with its options
    /// already bound and validated; null for a reference that did not come from this manifest.
    /// </summary>
    public BoundComponent? Resolve(ComponentRef reference) => _nested.GetValueOrDefault(reference);

    /// <summary>Every component reference nested in options, resolved (used for budgets and canonical JSON).</summary>
    internal IReadOnlyDictionary<ComponentRef, BoundComponent> Nested => _nested;

    /// <summary>The effective manifest (every default written out, plugin folders resolved) as indented JSON, for storing with a run.</summary>
    public string ToCanonicalJson() => CanonicalJson.Write(CanonicalJson.Pipeline(this));
}

/// <summary>One arm of a compare manifest.</summary>
/// <param name="Name">The arm's unique name.</param>
/// <param name="Pipeline">The arm's pipeline (for an overrides arm, the base with the overrides applied).</param>
/// <param name="BudgetSpend">What the arm spends of each budget the compare matches, by budget name.</param>
public sealed record CompareArm(string Name, PipelineManifest Pipeline, IReadOnlyDictionary<string, double> BudgetSpend);

/// <summary>
/// Curves a compare's report draws against a metric other than the step, such as gold accuracy and proxy reward against
/// sqrt(KL) (Gao et al. 2023): one chart per <paramref name="Y"/> metric, one line per arm.
/// </summary>
/// <param name="X">The metric on the x axis (<c>eval/sqrt_kl</c>).</param>
/// <param name="Y">The metrics on the y axes, each logged by the same stage at the same steps as <paramref name="X"/>.</param>
public sealed record CompareCurves(string X, IReadOnlyList<string> Y);

/// <summary>
/// A fit the compare's report runs over arms (<c>report.fits</c>): the functional form of Gao, Schulman and Hilton (2022)
/// fitted to each arm's gold metric against d = sqrt(KL), both logged by the same stage at the same steps.
/// </summary>
/// <param name="Form">The form: <see cref="CompareFitForms.BestOfN"/> or <see cref="CompareFitForms.Rl"/>.</param>
/// <param name="X">The metric holding d = sqrt(KL) (<c>eval/sqrt_kl</c>, <c>bon/proxy/sqrt_kl</c>).</param>
/// <param name="Y">The gold metric (<c>gold/reward_mean</c>, <c>bon/proxy/gold</c>).</param>
/// <param name="Arms">The arms fitted, in manifest order (the manifest's list, or every arm when it named none).</param>
public sealed record CompareFit(string Form, string X, string Y, IReadOnlyList<string> Arms);

/// <summary>The names of <see cref="CompareFit.Form"/>'s forms, as manifests write them.</summary>
public static class CompareFitForms
{
    /// <summary>Best-of-n: Δgold = d(α − βd).</summary>
    public const string BestOfN = "best-of-n";

    /// <summary>Reinforcement learning: Δgold = d(α − β ln d).</summary>
    public const string Rl = "rl";

    /// <summary>Every form.</summary>
    public static readonly IReadOnlyList<string> All = [BestOfN, Rl];
}

/// <summary>A validated compare manifest: arms that spend matched budgets, run over the same seeds.</summary>
public sealed class CompareManifest
{
    internal CompareManifest(
        string name,
        string? description,
        IReadOnlyList<int> seeds,
        IReadOnlyList<CompareArm> arms,
        IReadOnlyDictionary<string, double?> budgets,
        IReadOnlyList<string> reportMetrics,
        IReadOnlyList<string> pluginDirectories)
    {
        Name = name;
        Description = description;
        Seeds = seeds;
        Arms = arms;
        Budgets = budgets;
        ReportMetrics = reportMetrics;
        PluginDirectories = pluginDirectories;
    }

    /// <summary>The comparison's name.</summary>
    public string Name { get; }

    /// <summary>The free-text description, if any.</summary>
    public string? Description { get; }

    /// <summary>The seeds every arm runs with (at least one, distinct).</summary>
    public IReadOnlyList<int> Seeds { get; }

    /// <summary>The arms, in manifest order (names unique).</summary>
    public IReadOnlyList<CompareArm> Arms { get; }

    /// <summary>The budgets every arm spends equally: the stated amount, or null where the manifest says only that they must match.</summary>
    public IReadOnlyDictionary<string, double?> Budgets { get; }

    /// <summary>The metrics the summary reports (empty: every metric recorded).</summary>
    public IReadOnlyList<string> ReportMetrics { get; }

    /// <summary>The arm every other arm is tested against (<c>report.baseline</c>; the first arm unless the manifest names one).</summary>
    public string Baseline { get; init; } = "";

    /// <summary>Metrics to plot against another metric logged at the same steps (<c>report.curves</c>), or null.</summary>
    public CompareCurves? Curves { get; init; }

    /// <summary>Gao et al. fits the report runs over arms (<c>report.fits</c>); empty when the manifest asks for none.</summary>
    public IReadOnlyList<CompareFit> Fits { get; init; } = [];

    /// <summary>Every plugin folder the manifest and its arms list, absolute, without repeats.</summary>
    public IReadOnlyList<string> PluginDirectories { get; }

    /// <summary>The effective manifest (each arm as its full pipeline with defaults) as indented JSON, for storing.</summary>
    public string ToCanonicalJson() => CanonicalJson.Write(CanonicalJson.Compare(this));
}
