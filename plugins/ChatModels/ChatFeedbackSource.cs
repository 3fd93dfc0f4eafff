using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Roles;
using AlignFx.Abstractions.Tasks;
using Microsoft.Extensions.AI;

namespace AlignFx.ChatModels;

/// <summary>How <c>chat-feedback</c> turns a chat model's words into a preference.</summary>
public enum ChatFeedbackMode
{
    /// <summary>
    /// Reference-guided judging (Zheng et al. 2023, "Judging LLM-as-a-judge"): the model answers the prompt itself, and
    /// the candidate whose final answer agrees with the model's is preferred (a tie when both or neither agree).
    /// Works with any model that can answer the task, including a small policy trained here.
    /// </summary>
    Reference,

    /// <summary>
    /// Direct judging: the model sees the prompt and both candidates and is asked to reply A or B; a reply that names
    /// neither (or both) is a tie with confidence 0.5.
    /// </summary>
    Judge,
}

/// <summary>Options of the <c>chat-feedback</c> source.</summary>
public sealed class ChatFeedbackOptions
{
    /// <summary>The chat model that plays the labeller (any <c>chat-model</c> component).</summary>
    [ComponentKind(ComponentKinds.ChatModel)]
    public ComponentRef Model { get; set; } = new() { Name = "policy" };

    /// <summary>How the model's reply becomes a preference.</summary>
    public ChatFeedbackMode Mode { get; set; } = ChatFeedbackMode.Reference;

    /// <summary>Most tokens per reply, where the role prompt sets none.</summary>
    [Range(1, 65536)]
    public int MaxTokens { get; set; } = 32;

    /// <summary>Sampling temperature of the labeller where the role prompt sets none (0: greedy, the usual choice for a judge).</summary>
    [Range(0.0, 2.0)]
    public double Temperature { get; set; }

    /// <summary>What the model is asked in <see cref="ChatFeedbackMode.Reference"/> mode (a Semantic Kernel template; <c>{{$prompt}}</c> is the task's prompt).</summary>
    [Required, RoleVariables("prompt")]
    public RolePrompt Answer { get; set; } = RolePrompt.Inline("{{$prompt}}");

    /// <summary>
    /// What the model is asked in <see cref="ChatFeedbackMode.Judge"/> mode (a Semantic Kernel template; <c>{{$prompt}}</c>, and the
    /// candidates <c>{{$a}}</c> and <c>{{$b}}</c>).
    /// </summary>
    [Required, RoleVariables("prompt", "a", "b")]
    public RolePrompt Judge { get; set; } = RolePrompt.Inline("Question: {{$prompt}}\nAnswer A: {{$a}}\nAnswer B: {{$b}}\nWhich answer is correct? Reply with A or B.");

    /// <summary>
    /// What the model is asked when it labels with critiques in view (wrapped by the Feedback plugin's <c>assisted</c>
    /// source; a Semantic Kernel template): <c>{{$prompt}}</c>, the candidates <c>{{$a}}</c> and <c>{{$b}}</c>, and the
    /// critiques <c>{{$critique_a}}</c> and <c>{{$critique_b}}</c> (<see cref="ChatFeedbackSource.NoCritique"/> for a response
    /// shown without one). Used in either mode: a reference answer has no place for a critique of the candidates, so
    /// a wrapped labeller judges directly, and its unassisted label (the same query, <see cref="Judge"/>) does too.
    /// </summary>
    [Required, RoleVariables("prompt", "a", "b", "critique_a", "critique_b")]
    public RolePrompt AssistedJudge { get; set; } = RolePrompt.Inline(
        "Question: {{$prompt}}\nAnswer A: {{$a}}\nA critic on answer A: {{$critique_a}}\nAnswer B: {{$b}}\nA critic on answer B: {{$critique_b}}\nWhich answer is correct? Reply with A or B.");
}

/// <summary>
/// <c>chat-feedback</c>: a chat model (a policy of the run, or a model on a server) as the labeller of pairwise queries.
/// Each record carries the exchange as its transcript and, as its cost, the tokens the model spent (input plus output;
/// an answer the labeller already gave to the same prompt costs nothing again).
/// </summary>
/// <remarks>
/// It can also label with critiques in view (<see cref="IAssistableSource"/>, wrapped by the Feedback plugin's
/// <c>assisted</c> source): the same query is judged twice, with <see cref="ChatFeedbackOptions.Judge"/> alone and with
/// <see cref="ChatFeedbackOptions.AssistedJudge"/>, whose variables carry the critiques' texts. A query shown without
/// critiques is asked once and both labels are that answer. The model states no verification limit and checks no
/// claim itself, so its labels count in the overall agreement only (<see cref="AssistedAnswer.Checkable"/> null) and it
/// finds no flaws by checking.
/// </remarks>
public sealed partial class ChatFeedbackSource : IFeedbackSource, IAssistableSource, IDisposable
{
    /// <summary>The component name manifests use, written into provenance as the source.</summary>
    public const string Name = "chat-feedback";

    /// <summary>What <c>{{$critique_a}}</c> or <c>{{$critique_b}}</c> says for a response shown without a critique.</summary>
    public const string NoCritique = "(no critique shown)";

    private static readonly IReadOnlySet<FeedbackKind> Kinds = new HashSet<FeedbackKind> { FeedbackKind.Pairwise };

    private readonly ChatFeedbackOptions _options;
    private readonly IChatClient _model;
    private readonly IRolePrompter _prompter;
    private readonly Dictionary<string, ChatResponse> _references = new(StringComparer.Ordinal);

    /// <summary>Creates the source and its chat model (through the host's factory, so the run's middleware applies).</summary>
    /// <param name="options">The bound options.</param>
    /// <param name="components">The run's component factory.</param>
    /// <param name="prompter">Renders the role prompts (the host's).</param>
    public ChatFeedbackSource(ChatFeedbackOptions options, IComponentFactory components, IRolePrompter prompter)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(components);
        ArgumentNullException.ThrowIfNull(prompter);
        _options = options;
        _prompter = prompter;
        _model = components.Create<IChatClient>(options.Model);
    }

    /// <inheritdoc />
    public IReadOnlySet<FeedbackKind> Supports => Kinds;

    /// <inheritdoc />
    public async Task<IReadOnlyList<FeedbackRecord>> AnswerAsync(IReadOnlyList<FeedbackQuery> queries, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var records = new List<FeedbackRecord>(queries.Count);
        foreach (FeedbackQuery query in queries)
        {
            ct.ThrowIfCancellationRequested();
            if (query is not PairwiseQuery pair)
            {
                throw new NotSupportedException($"{Name} answers pairwise queries, not {query.Kind} (query {query.Id}).");
            }
            records.Add(_options.Mode == ChatFeedbackMode.Reference
                ? await ByReferenceAsync(pair, ct).ConfigureAwait(false)
                : await ByJudgingAsync(pair, _options.Judge, new Dictionary<string, string>(), ct).ConfigureAwait(false));
        }
        return records;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Both labels come from judging (<see cref="ChatFeedbackMode.Judge"/>), whatever <see cref="ChatFeedbackOptions.Mode"/>
    /// says; the assisted one's question is <see cref="ChatFeedbackOptions.AssistedJudge"/> with the critiques' texts.
    /// <paramref name="claims"/> and the simulated evaluator's <paramref name="assistance"/> parameters are not used: the
    /// model weighs the critiques itself, and its cost is the tokens it spends.
    /// </remarks>
    public async Task<AssistedAnswer> AnswerAssistedAsync(PairwiseQuery pair, Critique? first, Critique? second, IClaimChecker claims,
        Assistance assistance, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(pair);
        PairwiseFeedback alone = (PairwiseFeedback)await ByJudgingAsync(pair, _options.Judge, new Dictionary<string, string>(), ct).ConfigureAwait(false);
        if (first is null && second is null)
        {
            return new AssistedAnswer(alone, alone, Checkable: null, FlawsFound: 0);
        }
        var critiques = new Dictionary<string, string>
        {
            ["critique_a"] = first?.Text ?? NoCritique,
            ["critique_b"] = second?.Text ?? NoCritique,
        };
        PairwiseFeedback assisted = (PairwiseFeedback)await ByJudgingAsync(pair, _options.AssistedJudge, critiques, ct).ConfigureAwait(false);
        return new AssistedAnswer(alone, assisted, Checkable: null, FlawsFound: 0);
    }

    /// <summary>Releases the chat model.</summary>
    public void Dispose() => _model.Dispose();

    private async Task<FeedbackRecord> ByReferenceAsync(PairwiseQuery pair, CancellationToken ct)
    {
        string question = pair.First.Prompt.Text;
        long start = Stopwatch.GetTimestamp();
        double cost = 0;
        if (!_references.TryGetValue(question, out ChatResponse? reference))
        {
            reference = await AskAsync(_options.Answer, new Dictionary<string, string> { ["prompt"] = question }, pair.Id, ct).ConfigureAwait(false);
            _references[question] = reference;
            cost = Tokens(reference);
        }
        string answer = reference.Text;
        bool first = Agrees(pair.First.Text, answer);
        bool second = Agrees(pair.Second.Text, answer);
        double prefer = first == second ? 0.5 : first ? 1 : 0;
        string verdict = first == second ? "tie: both or neither agree with the reference" : $"{(first ? "A" : "B")} agrees with the reference";
        string asked = await _prompter.RenderAsync(_options.Answer, new Dictionary<string, string> { ["prompt"] = question }, ct).ConfigureAwait(false);
        return Record(pair, reference, cost, Stopwatch.GetElapsedTime(start), prefer, prefer == 0.5 ? 0.5 : 1,
            [new("user", asked), new("assistant", answer), new("verdict", verdict)]);
    }

    private async Task<FeedbackRecord> ByJudgingAsync(PairwiseQuery pair, RolePrompt prompt, IReadOnlyDictionary<string, string> extra, CancellationToken ct)
    {
        var variables = new Dictionary<string, string> { ["prompt"] = pair.First.Prompt.Text, ["a"] = pair.First.Text, ["b"] = pair.Second.Text };
        foreach (var (name, value) in extra)
        {
            variables[name] = value;
        }
        long start = Stopwatch.GetTimestamp();
        ChatResponse reply = await AskAsync(prompt, variables, pair.Id, ct).ConfigureAwait(false);
        string question = await _prompter.RenderAsync(prompt, variables, ct).ConfigureAwait(false);
        Match choice = Choice().Match(reply.Text);
        bool a = choice.Success && choice.Groups[1].Value is "A" or "a";
        bool b = choice.Success && !a;
        double prefer = a ? 1 : b ? 0 : 0.5;
        string verdict = a ? "A" : b ? "B" : "tie: the reply names neither A nor B";
        return Record(pair, reply, Tokens(reply), Stopwatch.GetElapsedTime(start), prefer, prefer == 0.5 ? 0.5 : 1,
            [new("user", question), new("assistant", reply.Text), new("verdict", verdict)]);
    }

    private async Task<ChatResponse> AskAsync(RolePrompt prompt, IReadOnlyDictionary<string, string> variables, string queryId, CancellationToken ct)
    {
        var defaults = new ChatOptions { Temperature = (float)_options.Temperature, MaxOutputTokens = _options.MaxTokens };
        try
        {
            return await _prompter.AskAsync(_model, prompt, variables, defaults, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            throw new InvalidOperationException(
                $"{Name}: the labeller's chat model '{_options.Model.Name}' failed on query {queryId}: {ex.Message}", ex);
        }
    }

    private static PairwiseFeedback Record(PairwiseQuery pair, ChatResponse reply, double cost, TimeSpan latency, double prefer, double confidence,
        IReadOnlyList<TranscriptTurn> transcript) =>
        new(pair.Id, new FeedbackProvenance(Name, reply.ModelId ?? "chat-model", cost, latency, confidence), pair.First, pair.Second, prefer)
        {
            Transcript = transcript,
        };

    /// <summary>Tokens spent on a reply, the labels' cost unit; 0 when the model reports no usage.</summary>
    private static double Tokens(ChatResponse reply) =>
        reply.Usage?.TotalTokenCount ?? ((reply.Usage?.InputTokenCount ?? 0) + (reply.Usage?.OutputTokenCount ?? 0));

    /// <summary>
    /// Whether a candidate's final answer is the reference's: their last numbers when both contain one, else their
    /// texts without case, surrounding space and trailing punctuation.
    /// </summary>
    internal static bool Agrees(string candidate, string reference)
    {
        string? x = LastNumber(candidate);
        string? y = LastNumber(reference);
        if (x is not null && y is not null)
        {
            return double.Parse(x, CultureInfo.InvariantCulture) == double.Parse(y, CultureInfo.InvariantCulture);
        }
        return Normalise(candidate).Length > 0 && Normalise(candidate) == Normalise(reference);
    }

    private static string? LastNumber(string text)
    {
        MatchCollection numbers = Number().Matches(text);
        return numbers.Count == 0 ? null : numbers[^1].Value;
    }

    private static string Normalise(string text) => text.Trim().TrimEnd('.', '!', '?').Trim().ToLowerInvariant();

    [GeneratedRegex(@"-?\d+(?:\.\d+)?")]
    private static partial Regex Number();

    [GeneratedRegex(@"\b([AaBb])\b")]
    private static partial Regex Choice();
}
