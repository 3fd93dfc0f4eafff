using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.AI;

namespace AlignFx.Abstractions.Roles;

/// <summary>
/// What a model in a role (labeller, judge, debater, critic) is asked: a prompt template plus execution settings, written
/// in the manifest. The template uses Semantic Kernel's syntax (<c>{{$prompt}}</c> inserts the variable <c>prompt</c>);
/// it is inline (<see cref="Template"/>) or a file next to the manifest (<see cref="TemplateFile"/>). The host checks it
/// before any work starts: an unreadable file, a template that does not parse and a variable the role does not provide
/// (<see cref="RoleVariablesAttribute"/>) are refused with their JSON path. Added in contracts 1.2.
/// </summary>
public sealed class RolePrompt
{
    /// <summary>The template, inline. Give this or <see cref="TemplateFile"/>.</summary>
    public string? Template { get; set; }

    /// <summary>A file holding the template, relative to the manifest's folder. Give this or <see cref="Template"/>.</summary>
    public string? TemplateFile { get; set; }

    /// <summary>Sampling temperature (null: the role's default).</summary>
    [Range(0.0, 2.0)]
    public double? Temperature { get; set; }

    /// <summary>Nucleus sampling mass (null: the role's default).</summary>
    [Range(0.0, 1.0)]
    public double? TopP { get; set; }

    /// <summary>Most tokens in the answer (null: the role's default).</summary>
    [Range(1, 65536)]
    public int? MaxTokens { get; set; }

    /// <summary>Texts that end the answer (null: none beyond the role's).</summary>
    public IList<string>? Stop { get; set; }

    /// <summary>A role prompt with an inline template and no settings.</summary>
    /// <param name="template">The template.</param>
    /// <returns>The prompt.</returns>
    public static RolePrompt Inline(string template) => new() { Template = template };
}

/// <summary>The variables a role fills in; a <see cref="RolePrompt"/> option's template may use these and no others.</summary>
/// <param name="names">The variable names, without <c>$</c>.</param>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RoleVariablesAttribute(params string[] names) : Attribute
{
    /// <summary>The variable names, without <c>$</c>.</summary>
    public IReadOnlyList<string> Names { get; } = names;
}

/// <summary>
/// Asks a role's chat model its prompt: renders the template with the variables (Semantic Kernel's template engine, in
/// the host) and sends the result as one user message with the prompt's settings over the caller's defaults. Components
/// take it as a constructor argument.
/// </summary>
public interface IRolePrompter
{
    /// <summary>The rendered prompt.</summary>
    /// <param name="prompt">The role prompt (checked when the manifest was validated).</param>
    /// <param name="variables">The values of the role's variables, by name without <c>$</c>.</param>
    /// <param name="ct">Stops the rendering.</param>
    /// <returns>The text the model is sent.</returns>
    Task<string> RenderAsync(RolePrompt prompt, IReadOnlyDictionary<string, string> variables, CancellationToken ct);

    /// <summary>Renders the prompt and asks <paramref name="model"/>.</summary>
    /// <param name="model">The role's chat model.</param>
    /// <param name="prompt">The role prompt.</param>
    /// <param name="variables">The values of the role's variables.</param>
    /// <param name="defaults">Settings where the prompt sets none (null: the model's own).</param>
    /// <param name="ct">Stops the request.</param>
    /// <returns>The model's answer.</returns>
    Task<ChatResponse> AskAsync(IChatClient model, RolePrompt prompt, IReadOnlyDictionary<string, string> variables, ChatOptions? defaults, CancellationToken ct);
}
