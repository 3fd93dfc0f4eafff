using System.ComponentModel.DataAnnotations;
using System.Globalization;
using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Roles;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using Microsoft.Extensions.AI;

namespace AlignFx.Critics;

/// <summary>Options of the <c>chat</c> critic.</summary>
public sealed class ChatCriticOptions : IValidatableObject
{
    /// <summary>The chat model that critiques (any <c>chat-model</c> component: a server's model, or <c>policy</c>).</summary>
    [ComponentKind(ComponentKinds.ChatModel)]
    public ComponentRef? Model { get; set; }

    /// <summary>
    /// What the model is asked for a general critique, or under a principle without a critique request of its own
    /// (a Semantic Kernel template: <c>{{$prompt}}</c> the question, <c>{{$response}}</c> the response,
    /// <c>{{$principle}}</c> the principle's description, or "" for a general critique, <c>{{$claims}}</c> the response's
    /// claims in one line, <see cref="CritiqueGrammar.Input"/>, or "" for a task without claims).
    /// </summary>
    [Required, RoleVariables("prompt", "response", "principle", "claims")]
    public RolePrompt Prompt { get; set; } = RolePrompt.Inline(
        "Question: {{$prompt}}\nAnswer: {{$response}}\nClaims: {{$claims}}\nPrinciple: {{$principle}}\n" +
        "Check the claims. Reply 'step N' if working step N is the first wrong claim, 'the answer' if only the final answer is wrong, " +
        "'flaw' if the answer breaks the principle in another way, or 'none'.");

    /// <summary>Ask a principle's own critique request (<c>Principle.Critique</c>) when it has one; false: always <see cref="Prompt"/>.</summary>
    public bool UsePrincipleTemplates { get; set; } = true;

    /// <summary>Seconds the model has to reply; a late reply is recorded and counts as no critique.</summary>
    [Range(0.001, 3600.0)]
    public double TimeoutSeconds { get; set; } = 60;

    /// <summary>Most tokens of a reply, where the prompt sets none.</summary>
    [Range(1, 65536)]
    public int MaxTokens { get; set; } = 24;

    /// <summary>Sampling temperature, where the prompt sets none (0: greedy, so the same response gets the same critique).</summary>
    [Range(0.0, 2.0)]
    public double Temperature { get; set; }

    /// <summary>What one critique costs, in simulated dollars (as the scripted critic's, 0.01 by default); tokens are recorded besides.</summary>
    [Range(0.0, 1e6)]
    public double CostPerCritique { get; set; } = 0.01;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Model is null || string.IsNullOrWhiteSpace(Model.Name))
        {
            yield return new ValidationResult("the chat critic needs a model: set model to a chat-model component (for example \"policy\")", [nameof(Model)]);
        }
    }
}

/// <summary>
/// <c>chat</c>: any chat model as a critic. It renders the principle's critique request (when the principle has one and
/// <see cref="ChatCriticOptions.UsePrincipleTemplates"/>), or its own <see cref="ChatCriticOptions.Prompt"/>, through the
/// host's role prompter, and reads the reply with <see cref="CritiqueGrammar"/>: <c>step N</c>, <c>the answer</c>,
/// <c>flaw</c> or <c>none</c> at its start. A reply outside the grammar, or none within the timeout, is recorded (in the
/// critique's text, and as <see cref="CriticMetrics.ChatOutsideGrammar"/> or <see cref="CriticMetrics.ChatTimeouts"/>)
/// and counts as no critique: the caller is never stalled. The model sees the response and its claims, never their truth.
/// </summary>
public sealed class ChatCritic : ICritic
{
    private readonly ChatCriticOptions _options;
    private readonly IClaimChecker? _claims;
    private readonly IChatClient _model;
    private readonly IRolePrompter _prompter;
    private readonly IMetricSink? _metrics;
    private int _asked, _outside, _timeouts;

    /// <summary>Creates the critic for a run.</summary>
    /// <param name="options">Its options.</param>
    /// <param name="task">The run's task (without its gold evaluator); its claims, when it has them, are shown and pointed at.</param>
    /// <param name="components">Creates the chat model.</param>
    /// <param name="prompter">The host's role prompter.</param>
    /// <param name="context">The run, whose metric sink records replies outside the grammar and timeouts (null: not recorded).</param>
    public ChatCritic(ChatCriticOptions options, ITask task, IComponentFactory components, IRolePrompter prompter, IRunContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(components);
        ArgumentNullException.ThrowIfNull(prompter);
        ComponentRef model = options.Model ?? throw new InvalidOperationException(
            "The chat critic needs a model: set model to a chat-model component (for example \"policy\").");
        _options = options;
        _claims = task.Claims;
        _model = components.Create<IChatClient>(model);
        _prompter = prompter;
        _metrics = context?.Metrics;
    }

    /// <summary>Replies outside the grammar so far.</summary>
    public int OutsideGrammar => _outside;

    /// <summary>Replies that did not come within the timeout so far.</summary>
    public int Timeouts => _timeouts;

    /// <inheritdoc />
    public async Task<Critique> CritiqueAsync(Response response, Principle? principle, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(response);
        ct.ThrowIfCancellationRequested();
        int call = Interlocked.Increment(ref _asked);
        IReadOnlyList<Claim>? claims = _claims?.Claims(response);
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["prompt"] = response.Prompt.Text,
            ["response"] = response.Text,
            ["principle"] = principle is null ? "" : principle.Description.Length > 0 ? principle.Description : principle.Name,
            ["claims"] = claims is null ? "" : CritiqueGrammar.Input(claims),
        };
        RolePrompt prompt = _options.UsePrincipleTemplates && principle?.Critique is { } own ? own : _options.Prompt;
        TimeSpan timeout = TimeSpan.FromSeconds(_options.TimeoutSeconds);
        ChatResponse answer;
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            limit.CancelAfter(timeout);
            try
            {
                answer = await _prompter.AskAsync(_model, prompt, variables,
                    new ChatOptions { Temperature = (float)_options.Temperature, MaxOutputTokens = _options.MaxTokens }, limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                int timeouts = Interlocked.Increment(ref _timeouts);
                _metrics?.Log(CriticMetrics.ChatTimeouts, timeouts, call);
                return new Critique(CriticComponents.Chat, principle?.Name, false, string.Create(CultureInfo.InvariantCulture,
                    $"No critique: the model gave no reply within {timeout.TotalSeconds:0.###} s.")) { Cost = _options.CostPerCritique };
            }
        }
        string reply = answer.Text;
        ParsedReply parsed = CritiqueGrammar.Parse(reply, claims);
        if (parsed.Kind == ReplyKind.Outside)
        {
            int outside = Interlocked.Increment(ref _outside);
            _metrics?.Log(CriticMetrics.ChatOutsideGrammar, outside, call);
        }
        long tokens = answer.Usage?.TotalTokenCount ?? 0;
        return CritiqueGrammar.ToCritique(CriticComponents.Chat, principle, parsed, reply, claims) with
        {
            Cost = _options.CostPerCritique,
            Tokens = (int)Math.Min(int.MaxValue, tokens),
        };
    }
}
