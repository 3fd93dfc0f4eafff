using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.ConstitutionalCritique;

/// <summary>Options of <c>ai-feedback</c>.</summary>
public sealed class AiFeedbackOptions
{
    /// <summary>The principles one is sampled from for each query (by weight).</summary>
    [Required]
    public Constitution? Constitution { get; set; }

    /// <summary>The feedback model: a feedback source that can judge under a principle (<c>simulated-ai</c>).</summary>
    [ComponentKind(ComponentKinds.FeedbackSource)]
    public ComponentRef Model { get; set; } = new() { Name = CaiComponents.SimulatedAi };

    /// <summary>
    /// A critic to judge with instead of <see cref="Model"/> (null: use the model): it critiques each response under the
    /// principle, and the first is preferred with probability <c>σ(criticSharpness·(flawed₂ − flawed₁))</c>. Any
    /// component of the critic kind serves, the scripted critic now and a chat critic with the principle's templates later.
    /// </summary>
    [ComponentKind(ComponentKinds.Critic)]
    public ComponentRef? Critic { get; set; }

    /// <summary>With a <see cref="Critic"/>: the log-odds for the response the critic did not flag when it flagged the other.</summary>
    [Range(0.0, 100.0)]
    public double CriticSharpness { get; set; } = 2;

    /// <summary>Ask in both orders and average the log-odds, which cancels a position bias that adds to them (false: ask once, in the query's order).</summary>
    public bool SwapPositions { get; set; } = true;
}

/// <summary>
/// <c>ai-feedback</c> (RL-CAI, RLAIF): for each pairwise query it samples a principle from the constitution (the run's
/// stream <c>feedback/ai-feedback/&lt;query id&gt;</c>), asks the feedback model which response better follows it, in
/// the query's order and, with <see cref="AiFeedbackOptions.SwapPositions"/>, in the swapped order, and labels the
/// pair softly with <c>σ((logit p₁₂ − logit p₂₁)/2)</c>: the mean of the two orders' log-odds (Bai et al. 2022 use the
/// feedback model's normalised log-probabilities as soft labels). A bias the model adds to the first position's
/// log-odds cancels exactly. With <see cref="AiFeedbackOptions.Critic"/> a critic judges instead (<see cref="CriticJudge"/>:
/// any component of the critic kind, so a chat critic with the principle's templates once one exists). Each record's transcript carries the principle and the model's rationales; its
/// provenance carries the model's name and the summed cost of its calls. Plugs into <c>collect-feedback</c> like any source.
/// </summary>
public sealed class AiFeedbackSource : IFeedbackSource, IDisclosesFacts
{
    private static readonly IReadOnlySet<FeedbackKind> Kinds = new HashSet<FeedbackKind> { FeedbackKind.Pairwise };

    private readonly AiFeedbackOptions _options;
    private readonly IComponentFactory _components;
    private readonly long _seed;
    private IPrincipleJudge? _model;

    /// <summary>Creates the source for a run.</summary>
    /// <param name="options">The constitution, the feedback model and whether to swap.</param>
    /// <param name="context">The run, whose seed fixes the principles drawn.</param>
    /// <param name="components">Creates the feedback model.</param>
    /// <param name="artifacts">The pipeline's results, where the constitution is left for <c>principle-agreement</c>'s report (null: not left).</param>
    public AiFeedbackSource(AiFeedbackOptions options, IRunContext context, IComponentFactory components, IArtifactBag? artifacts = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(components);
        _options = options;
        _components = components;
        _seed = context.Seed;
        if (options.Constitution is { } constitution)
        {
            artifacts?.Set(constitution, CaiKeys.ConstitutionArtifact);
        }
    }

    /// <inheritdoc />
    /// <remarks>The constitution the labels were given under (the collect-feedback stage puts it on the disclosure card).</remarks>
    public IReadOnlyList<DisclosureFact> DisclosureFacts => _options.Constitution is { } constitution
        ? [ConstitutionReport.Fact(constitution, $"AI feedback ({CaiComponents.AiFeedback}) labelled pairs with the feedback model '{(_options.Critic ?? _options.Model).Name}'{(_options.SwapPositions ? ", asked in both orders" : "")}")]
        : [];

    private AiFeedbackSource(AiFeedbackOptions options, long seed, IPrincipleJudge model)
    {
        _options = options;
        _components = NoComponents.Instance;
        _seed = seed;
        _model = model;
    }

    /// <summary>The source around a given feedback model (tests, code outside a pipeline).</summary>
    /// <param name="options">The constitution and whether to swap (the model option is not used).</param>
    /// <param name="seed">The seed the principles are drawn under.</param>
    /// <param name="model">The feedback model.</param>
    /// <returns>The source.</returns>
    public static AiFeedbackSource WithModel(AiFeedbackOptions options, long seed, IPrincipleJudge model)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(model);
        return new AiFeedbackSource(options, seed, model);
    }

    /// <inheritdoc />
    public IReadOnlySet<FeedbackKind> Supports => Kinds;

    /// <inheritdoc />
    public async Task<IReadOnlyList<FeedbackRecord>> AnswerAsync(IReadOnlyList<FeedbackQuery> queries, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(queries);
        IPrincipleJudge model = Model();
        Constitution constitution = _options.Constitution
            ?? throw new InvalidOperationException($"{CaiComponents.AiFeedback} needs a constitution; give its 'constitution' option principles.");
        var records = new List<FeedbackRecord>(queries.Count);
        foreach (FeedbackQuery query in queries)
        {
            if (query is not PairwiseQuery pair)
            {
                throw new NotSupportedException($"{CaiComponents.AiFeedback} answers pairwise queries only, not {query.Kind} (query {query.Id}).");
            }
            long started = Stopwatch.GetTimestamp();
            Principle principle = constitution.Sample(RandomStreams.Create(_seed, $"feedback/{CaiComponents.AiFeedback}/{pair.Id}"));
            PrincipleJudgement inOrder = await model.JudgeAsync(pair.Id + "/12", pair.First, pair.Second, principle, ct).ConfigureAwait(false);
            var transcript = new List<TranscriptTurn>
            {
                new(CaiKeys.PrincipleSpeaker, principle.Name),
                new(CaiKeys.FeedbackModelSpeaker, "first shown first: " + inOrder.Rationale),
            };
            double preferFirst = inOrder.PreferFirst;
            double cost = inOrder.Cost;
            if (_options.SwapPositions)
            {
                PrincipleJudgement swapped = await model.JudgeAsync(pair.Id + "/21", pair.Second, pair.First, principle, ct).ConfigureAwait(false);
                transcript.Add(new(CaiKeys.FeedbackModelSpeaker, "second shown first: " + swapped.Rationale));
                preferFirst = SwapAverage(inOrder.PreferFirst, swapped.PreferFirst);
                cost += swapped.Cost;
            }
            var provenance = new FeedbackProvenance(CaiComponents.AiFeedback, inOrder.Judge, cost, Stopwatch.GetElapsedTime(started), Math.Max(preferFirst, 1 - preferFirst));
            records.Add(new PairwiseFeedback(pair.Id, provenance, pair.First, pair.Second, preferFirst) { Transcript = transcript });
        }
        return records;
    }

    /// <summary>The soft label from both orders: σ of the mean of the first response's log-odds in each order.</summary>
    /// <param name="firstShownFirst">The model's probability that the first response is better, asked in the query's order.</param>
    /// <param name="secondShownFirst">Its probability that the second response is better, asked in the swapped order.</param>
    /// <returns><c>σ((logit a − logit b)/2)</c>.</returns>
    public static double SwapAverage(double firstShownFirst, double secondShownFirst) =>
        SimulatedAiLabeller.Sigmoid((SimulatedAiLabeller.Logit(firstShownFirst) - SimulatedAiLabeller.Logit(secondShownFirst)) / 2);

    /// <summary>The principle a record of this source was labelled under (from its transcript), or null.</summary>
    /// <param name="record">A feedback record.</param>
    /// <returns>The principle's name, or null for a record without one.</returns>
    public static string? PrincipleOf(FeedbackRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.Transcript?.FirstOrDefault(t => t.Speaker == CaiKeys.PrincipleSpeaker)?.Text;
    }

    private IPrincipleJudge Model()
    {
        if (_model is not null)
        {
            return _model;
        }
        if (_options.Critic is { } critic)
        {
            _model = new CriticJudge(_components.Create<ICritic>(critic), critic.Name, _options.CriticSharpness);
            return _model;
        }
        IFeedbackSource source = _components.Create<IFeedbackSource>(_options.Model);
        _model = source as IPrincipleJudge ?? throw new InvalidOperationException(
            $"The feedback model '{_options.Model.Name}' cannot judge under a principle; name a model that can, such as '{CaiComponents.SimulatedAi}'.");
        return _model;
    }

    private sealed class NoComponents : IComponentFactory
    {
        public static readonly NoComponents Instance = new();

        public T Create<T>(ComponentRef reference) where T : class =>
            throw new InvalidOperationException($"This ai-feedback source was given its model; it creates no '{reference.Name}'.");
    }
}

/// <summary>A critic as a feedback model: critiques both responses under the principle and prefers the one it did not flag.</summary>
/// <param name="critic">The critic.</param>
/// <param name="name">Its component name (provenance's annotator).</param>
/// <param name="sharpness">The log-odds for the unflagged response when the other is flagged.</param>
public sealed class CriticJudge(ICritic critic, string name, double sharpness) : IPrincipleJudge
{
    /// <inheritdoc />
    public async Task<PrincipleJudgement> JudgeAsync(string callId, Response first, Response second, Principle? principle, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        Critique a = await critic.CritiqueAsync(first, principle, ct).ConfigureAwait(false);
        Critique b = await critic.CritiqueAsync(second, principle, ct).ConfigureAwait(false);
        double p = SimulatedAiLabeller.Sigmoid(sharpness * ((b.Flawed ? 1 : 0) - (a.Flawed ? 1 : 0)));
        string rationale = $"first: {(a.Flawed ? CaiKeys.Flaw : CaiKeys.NoFlaw)}: {a.Text} second: {(b.Flawed ? CaiKeys.Flaw : CaiKeys.NoFlaw)}: {b.Text}";
        return new PrincipleJudgement(Math.Clamp(p, 1e-6, 1 - 1e-6), rationale, name, a.Cost + b.Cost);
    }
}
