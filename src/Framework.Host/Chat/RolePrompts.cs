using AlignFx.Abstractions.Roles;
using AlignFx.Host.Manifests;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;

namespace AlignFx.Host.Chat;

/// <summary>
/// Role prompts through Semantic Kernel's template engine (<see cref="KernelPromptTemplateFactory"/>, the
/// <c>semantic-kernel</c> format: <c>{{$variable}}</c>): checked when a manifest is validated, rendered when a role asks.
/// Semantic Kernel stays in the host; plugins see <see cref="IRolePrompter"/>.
/// </summary>
/// <remarks>
/// Templates are rendered with <see cref="KernelPromptTemplateFactory.AllowDangerouslySetContent"/> on: Semantic Kernel otherwise
/// HTML-encodes variable values (so that its chat-prompt XML cannot be injected), which would change the texts a role
/// judges (<c>it's</c> into <c>it&amp;#39;s</c>); the rendered text goes to the model as one user message and is never
/// parsed as XML.
/// </remarks>
internal sealed class SemanticKernelRolePrompter : IRolePrompter
{
    private static readonly KernelPromptTemplateFactory Factory = new() { AllowDangerouslySetContent = true };
    private readonly Kernel _kernel = new();

    public Task<string> RenderAsync(RolePrompt prompt, IReadOnlyDictionary<string, string> variables, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(variables);
        string template = prompt.Template ?? throw new InvalidOperationException(
            "The role prompt has no template (a templateFile is read when the manifest is validated); give template or templateFile.");
        return Render(_kernel, template, variables, ct);
    }

    public async Task<ChatResponse> AskAsync(IChatClient model, RolePrompt prompt, IReadOnlyDictionary<string, string> variables, ChatOptions? defaults,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(model);
        string text = await RenderAsync(prompt, variables, ct).ConfigureAwait(false);
        ChatOptions options = defaults?.Clone() ?? new ChatOptions();
        if (prompt.Temperature is { } temperature)
        {
            options.Temperature = (float)temperature;
        }
        if (prompt.TopP is { } topP)
        {
            options.TopP = (float)topP;
        }
        if (prompt.MaxTokens is { } maxTokens)
        {
            options.MaxOutputTokens = maxTokens;
        }
        if (prompt.Stop is { Count: > 0 } stop)
        {
            options.StopSequences = [.. stop];
        }
        return await model.GetResponseAsync([new ChatMessage(ChatRole.User, text)], options, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Checks a role prompt of a manifest: one of template and templateFile; the file readable (relative to
    /// <paramref name="baseDirectory"/>; its text becomes <see cref="RolePrompt.Template"/>); the template parses and
    /// renders; every variable it uses is one the role provides.
    /// </summary>
    /// <returns>Problems as (JSON property of the prompt, message).</returns>
    public static IReadOnlyList<(string Property, string Message)> Check(RolePrompt prompt, IReadOnlyList<string>? variables, string? baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        const string InlineName = "template", FileName = "templateFile";
        if ((prompt.Template is null) == (prompt.TemplateFile is null))
        {
            return [("", prompt.Template is null
                ? $"give the role's template inline ({InlineName}) or as a file next to the manifest ({FileName})"
                : $"give {InlineName} or {FileName}, not both")];
        }
        string where = InlineName;
        if (prompt.TemplateFile is { } file)
        {
            where = FileName;
            string full = Path.GetFullPath(file, baseDirectory ?? Directory.GetCurrentDirectory());
            try
            {
                prompt.Template = File.ReadAllText(full);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                return [(FileName, $"cannot read '{full}' ({ex.GetType().Name}: {ex.Message}); the path is relative to the manifest's folder")];
            }
        }
        var config = Config(prompt.Template!);
        try
        {
            IPromptTemplate template = Factory.Create(config);
            // Semantic Kernel lists the variables a template uses in its configuration once it has parsed it.
            var unknown = config.InputVariables.Select(v => v.Name).Where(v => variables is not null && !variables.Contains(v, StringComparer.Ordinal))
                .Distinct(StringComparer.Ordinal).ToList();
            if (unknown.Count > 0)
            {
                string known = variables is { Count: > 0 } ? string.Join(", ", variables.Select(v => "$" + v)) : "(none)";
                return [(where, $"unknown variable{(unknown.Count == 1 ? "" : "s")} {string.Join(", ", unknown.Select(v => "$" + v))}; this role's variables are: {known}")];
            }
            // Render once with placeholders: function calls (role templates have none to call) and syntax errors show here.
            var placeholders = (variables ?? []).ToDictionary(v => v, v => v, StringComparer.Ordinal);
            Render(new Kernel(), template, placeholders, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (KernelException ex)
        {
            return [(where, $"the template does not render: {ex.Message}")];
        }
        catch (KeyNotFoundException ex)
        {
            // A function call: role templates can use their variables only.
            return [(where, $"the template calls a function, and role templates can use only their variables ({ex.Message})")];
        }
        return [];
    }

    private static Task<string> Render(Kernel kernel, string template, IReadOnlyDictionary<string, string> variables, CancellationToken ct) =>
        Render(kernel, Factory.Create(Config(template)), variables, ct);

    private static Task<string> Render(Kernel kernel, IPromptTemplate template, IReadOnlyDictionary<string, string> variables, CancellationToken ct)
    {
        var arguments = new KernelArguments();
        foreach (var (name, value) in variables)
        {
            arguments[name] = value;
        }
        return template.RenderAsync(kernel, arguments, ct);
    }

    private static PromptTemplateConfig Config(string template) => new(template)
    {
        TemplateFormat = PromptTemplateConfig.SemanticKernelTemplateFormat,
        AllowDangerouslySetContent = true,
    };
}
