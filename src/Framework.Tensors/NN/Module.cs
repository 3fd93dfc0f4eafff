using System.Reflection;
using System.Runtime.CompilerServices;
using AlignFx.Tensors.Serialization;

namespace AlignFx.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// Base class of every layer and model (TorchSharp's <c>torch.nn.Module</c>). A module owns parameters,
        /// buffers and submodules under names; dotted paths ("blocks.0.attn.qkv.weight") name them recursively.
        /// </summary>
        /// <remarks>
        /// Components are found automatically: the first time a module is asked for its parameters, buffers,
        /// children or state, every instance field of type <see cref="Module"/>, <see cref="Parameter"/> or
        /// <see cref="Tensor"/> (a buffer) is registered under its field name, base class fields first, in
        /// declaration order. Call <see cref="RegisterComponents"/> at the end of a constructor to do it eagerly,
        /// or <see cref="register_module"/>, <see cref="register_parameter"/> and <see cref="register_buffer"/>
        /// for explicit names; an object registered explicitly is not registered again by reflection.
        /// </remarks>
        public abstract class Module : IDisposable
        {
            private readonly OrderedDictionary<string, Module> childModules = [];
            private readonly OrderedDictionary<string, Parameter?> ownParameters = [];
            private readonly OrderedDictionary<string, BufferSlot> ownBuffers = [];
            private readonly string name;
            private bool componentsRegistered;
            private bool disposed;

            /// <summary>Creates a module called <paramref name="name"/> (the type name when null).</summary>
            protected Module(string? name = null) => this.name = name ?? GetType().Name;

            /// <summary>The module's name (its type name unless given).</summary>
            public string GetName() => name;

            /// <summary>True in training mode (the default), false after <see cref="eval"/>.</summary>
            public bool training { get; private set; } = true;

            /// <summary>Sets training mode on this module and every submodule.</summary>
            public virtual Module train(bool mode = true)
            {
                training = mode;
                foreach (var (_, child) in named_children())
                {
                    child.train(mode);
                }
                return this;
            }

            /// <summary>Sets evaluation mode (dropout off) on this module and every submodule.</summary>
            public Module eval() => train(false);

            /// <summary>Registers a submodule under <paramref name="name"/>.</summary>
            public void register_module(string name, Module module)
            {
                ArgumentNullException.ThrowIfNull(module);
                CheckNewName(name);
                childModules.Add(name, module);
            }

            /// <summary>Registers a parameter (null reserves the name, as PyTorch does for an absent bias).</summary>
            public void register_parameter(string name, Parameter? parameter)
            {
                CheckNewName(name);
                ownParameters.Add(name, parameter);
            }

            /// <summary>
            /// Registers a buffer: state that is not trained (running statistics, masks). Persistent buffers are part of
            /// <see cref="state_dict"/>. The module keeps the tensor out of every dispose scope.
            /// </summary>
            public void register_buffer(string name, Tensor? tensor, bool persistent = true)
            {
                CheckNewName(name);
                tensor?.DetachFromDisposeScope();
                ownBuffers.Add(name, new BufferSlot(tensor, persistent, null));
            }

            /// <summary>
            /// Registers every not-yet-registered instance field of type <see cref="Module"/>, <see cref="Parameter"/> or
            /// <see cref="Tensor"/> under its name. Runs once; later calls (and the automatic call) do nothing.
            /// </summary>
            protected void RegisterComponents()
            {
                if (componentsRegistered)
                {
                    return;
                }
                componentsRegistered = true;
                var known = new HashSet<object>(ReferenceEqualityComparer.Instance);
                foreach (var m in childModules.Values)
                {
                    known.Add(m);
                }
                foreach (var p in ownParameters.Values)
                {
                    if (p is not null)
                    {
                        known.Add(p);
                    }
                }
                foreach (var b in ownBuffers.Values)
                {
                    if (b.Tensor is not null)
                    {
                        known.Add(b.Tensor);
                    }
                }
                foreach (var field in ComponentFields(GetType()))
                {
                    var value = field.GetValue(this);
                    if (value is null || !known.Add(value))
                    {
                        continue;
                    }
                    string fieldName = FieldName(field);
                    switch (value)
                    {
                        case Module m:
                            register_module(fieldName, m);
                            break;
                        case Parameter p:
                            register_parameter(fieldName, p);
                            break;
                        case Tensor t:
                            CheckNewName(fieldName);
                            t.DetachFromDisposeScope();
                            ownBuffers.Add(fieldName, new BufferSlot(t, true, field));
                            break;
                    }
                }
            }

            /// <summary>The direct submodules with their names.</summary>
            public IEnumerable<(string name, Module module)> named_children()
            {
                EnsureRegistered();
                foreach (var (n, m) in childModules)
                {
                    yield return (n, m);
                }
            }

            /// <summary>The direct submodules.</summary>
            public IEnumerable<Module> children() => named_children().Select(c => c.module);

            /// <summary>This module (named "") and every module below it, with dotted names, each once.</summary>
            public IEnumerable<(string name, Module module)> named_modules()
            {
                var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
                return NamedModules("", seen);
            }

            /// <summary>This module and every module below it.</summary>
            public IEnumerable<Module> modules() => named_modules().Select(m => m.module);

            /// <summary>Parameters with dotted names; each parameter object once (the first name wins).</summary>
            public IEnumerable<(string name, Parameter parameter)> named_parameters(bool recurse = true)
            {
                var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
                foreach (var (prefix, module) in recurse ? named_modules() : [("", this)])
                {
                    module.EnsureRegistered();
                    foreach (var (n, p) in module.ownParameters)
                    {
                        if (p is not null && seen.Add(p))
                        {
                            yield return (Join(prefix, n), p);
                        }
                    }
                }
            }

            /// <summary>Every parameter, each once, in registration order.</summary>
            public IEnumerable<Parameter> parameters(bool recurse = true) => named_parameters(recurse).Select(p => p.parameter);

            /// <summary>Buffers with dotted names (persistent or not), each tensor once.</summary>
            public IEnumerable<(string name, Tensor buffer)> named_buffers(bool recurse = true)
            {
                var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
                foreach (var (prefix, module) in recurse ? named_modules() : [("", this)])
                {
                    module.EnsureRegistered();
                    foreach (var (n, b) in module.ownBuffers)
                    {
                        if (b.Tensor is not null && seen.Add(b.Tensor))
                        {
                            yield return (Join(prefix, n), b.Tensor);
                        }
                    }
                }
            }

            /// <summary>Every buffer.</summary>
            public IEnumerable<Tensor> buffers(bool recurse = true) => named_buffers(recurse).Select(b => b.buffer);

            /// <summary>The parameter registered directly on this module as <paramref name="name"/>, or null.</summary>
            public Parameter? get_parameter(string name)
            {
                EnsureRegistered();
                return ownParameters.TryGetValue(name, out var p) ? p : null;
            }

            /// <summary>The buffer registered directly on this module as <paramref name="name"/>, or null.</summary>
            public Tensor? get_buffer(string name)
            {
                EnsureRegistered();
                return ownBuffers.TryGetValue(name, out var b) ? b.Tensor : null;
            }

            /// <summary>Runs <paramref name="fn"/> on every submodule, then on this module.</summary>
            public Module apply(Action<Module> fn)
            {
                ArgumentNullException.ThrowIfNull(fn);
                foreach (var (_, child) in named_children())
                {
                    child.apply(fn);
                }
                fn(this);
                return this;
            }

            /// <summary>
            /// The module's state by dotted name: its parameters and persistent buffers, own ones first, then each
            /// child's, as PyTorch orders them. The values are the module's own tensors (not copies): read them, or
            /// copy before changing them, and do not dispose them.
            /// </summary>
            public OrderedDictionary<string, Tensor> state_dict()
            {
                var result = new OrderedDictionary<string, Tensor>();
                foreach (var (key, slot) in StateEntries())
                {
                    result.Add(key, slot);
                }
                return result;
            }

            /// <summary>
            /// Copies the values of <paramref name="state_dict"/> into the module's parameters and buffers (converting
            /// the element type when needed). Nothing is copied unless every check passes: no shape mismatch, and with
            /// <paramref name="strict"/> no missing and no unexpected key.
            /// </summary>
            /// <returns>The keys the module has but the dictionary lacks, and those the dictionary has but the module lacks.</returns>
            /// <exception cref="InvalidOperationException">A check failed; the message lists every offending key.</exception>
            public LoadStateDictResult load_state_dict(IReadOnlyDictionary<string, Tensor> state_dict, bool strict = true)
            {
                ArgumentNullException.ThrowIfNull(state_dict);
                var own = new OrderedDictionary<string, Tensor>();
                foreach (var (key, t) in StateEntries())
                {
                    own.TryAdd(key, t);
                }
                var missing = own.Keys.Where(k => !state_dict.ContainsKey(k)).ToList();
                var unexpected = state_dict.Keys.Where(k => !own.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
                var errors = new List<string>();
                if (strict && unexpected.Count > 0)
                {
                    errors.Add("Unexpected key(s) in state_dict: " + string.Join(", ", unexpected.Select(k => $"\"{k}\"")) + ".");
                }
                if (strict && missing.Count > 0)
                {
                    errors.Add("Missing key(s) in state_dict: " + string.Join(", ", missing.Select(k => $"\"{k}\"")) + ".");
                }
                foreach (var (key, target) in own)
                {
                    if (state_dict.TryGetValue(key, out var source) && !source.shape.AsSpan().SequenceEqual(target.shape))
                    {
                        errors.Add($"size mismatch for {key}: copying a param with shape [{string.Join(", ", source.shape)}] from checkpoint, " +
                            $"the shape in current model is [{string.Join(", ", target.shape)}].");
                    }
                }
                if (errors.Count > 0)
                {
                    throw new InvalidOperationException($"Error(s) in loading state_dict for {name}:\n\t" + string.Join("\n\t", errors));
                }
                using (no_grad())
                {
                    foreach (var (key, target) in own)
                    {
                        if (state_dict.TryGetValue(key, out var source))
                        {
                            target.copy_(source);
                        }
                    }
                }
                return new LoadStateDictResult(missing, unexpected);
            }

            /// <summary>Clears the gradients of every parameter: drops them (returning their buffers to the pool) or zeroes them in place.</summary>
            public void zero_grad(bool set_to_none = true)
            {
                foreach (var p in parameters())
                {
                    ClearGrad(p, set_to_none);
                }
            }

            /// <summary>
            /// Converts every floating-point parameter and buffer to <paramref name="dtype"/> (integer and bool buffers
            /// stay). Parameters keep their identity (their <see cref="Parameter.data"/> changes); gradients are dropped.
            /// </summary>
            public Module to(ScalarType dtype)
            {
                if (dtype is not (ScalarType.Float32 or ScalarType.Float64))
                {
                    throw new ArgumentException("Modules convert only to a floating-point type.", nameof(dtype));
                }
                using var _ = no_grad();
                foreach (var p in parameters())
                {
                    if (p.dtype != dtype)
                    {
                        var old = p.data;
                        ClearGrad(p, true);
                        p.data = old.to(dtype);
                        old.Dispose();
                    }
                }
                foreach (var (_, module) in named_modules())
                {
                    module.ConvertOwnBuffers(dtype);
                }
                return this;
            }

            /// <summary>Converts to float64.</summary>
            public Module @double() => to(ScalarType.Float64);

            /// <summary>Converts to float32.</summary>
            public Module @float() => to(ScalarType.Float32);

            /// <summary>
            /// Writes <see cref="state_dict"/> to <paramref name="path"/> in the safetensors format, and
            /// <paramref name="config"/> (when given) as JSON beside it (see <see cref="StateDictCheckpoint"/>).
            /// </summary>
            public Module save(string path, object? config = null)
            {
                StateDictCheckpoint.Save(this, path, config);
                return this;
            }

            /// <summary>Loads a safetensors checkpoint written by <see cref="save"/> (or any safetensors file of the same names).</summary>
            public Module load(string path, bool strict = true)
            {
                StateDictCheckpoint.Load(this, path, strict);
                return this;
            }

            /// <summary>Disposes every parameter, buffer and submodule.</summary>
            public void Dispose()
            {
                Dispose(true);
                GC.SuppressFinalize(this);
            }

            /// <summary>Releases the tensors; override to release more (call the base).</summary>
            protected virtual void Dispose(bool disposing)
            {
                if (disposed || !disposing)
                {
                    return;
                }
                disposed = true;
                EnsureRegistered();
                foreach (var p in ownParameters.Values)
                {
                    p?.Dispose();
                }
                foreach (var b in ownBuffers.Values)
                {
                    b.Tensor?.Dispose();
                }
                foreach (var m in childModules.Values)
                {
                    m.Dispose();
                }
            }

            /// <inheritdoc/>
            public override string ToString() => name;

            internal static void ClearGrad(Parameter p, bool setToNone)
            {
                var g = p.grad;
                if (g is null)
                {
                    return;
                }
                if (setToNone)
                {
                    p.grad = null;
                    g.Dispose();
                }
                else
                {
                    using var _ = no_grad();
                    g.zero_();
                }
            }

            // PyTorch's order and multiplicity: own parameters, own persistent buffers, then each child's entries
            // (a module or parameter reachable under two names appears under both).
            private IEnumerable<(string key, Tensor tensor)> StateEntries(string prefix = "")
            {
                EnsureRegistered();
                foreach (var (n, p) in ownParameters)
                {
                    if (p is not null)
                    {
                        yield return (Join(prefix, n), p.data);
                    }
                }
                foreach (var (n, b) in ownBuffers)
                {
                    if (b.Tensor is not null && b.Persistent)
                    {
                        yield return (Join(prefix, n), b.Tensor);
                    }
                }
                foreach (var (n, child) in childModules)
                {
                    foreach (var entry in child.StateEntries(Join(prefix, n)))
                    {
                        yield return entry;
                    }
                }
            }

            private IEnumerable<(string name, Module module)> NamedModules(string prefix, HashSet<Module> seen)
            {
                if (!seen.Add(this))
                {
                    yield break;
                }
                yield return (prefix, this);
                foreach (var (n, child) in named_children())
                {
                    foreach (var item in child.NamedModules(Join(prefix, n), seen))
                    {
                        yield return item;
                    }
                }
            }

            private void ConvertOwnBuffers(ScalarType dtype)
            {
                EnsureRegistered();
                foreach (var key in ownBuffers.Keys.ToList())
                {
                    var slot = ownBuffers[key];
                    if (slot.Tensor is { } t && t.dtype is ScalarType.Float32 or ScalarType.Float64 && t.dtype != dtype)
                    {
                        var converted = t.to(dtype).DetachFromDisposeScope();
                        t.Dispose();
                        ownBuffers[key] = slot with { Tensor = converted };
                        slot.Field?.SetValue(this, converted);
                    }
                }
            }

            private void EnsureRegistered()
            {
                if (!componentsRegistered)
                {
                    RegisterComponents();
                }
            }

            private void CheckNewName(string name)
            {
                ArgumentException.ThrowIfNullOrEmpty(name);
                if (name.Contains('.', StringComparison.Ordinal))
                {
                    throw new ArgumentException($"Component name '{name}' must not contain '.'.", nameof(name));
                }
                if (childModules.ContainsKey(name) || ownParameters.ContainsKey(name) || ownBuffers.ContainsKey(name))
                {
                    throw new ArgumentException($"'{name}' is already registered on {this.name}.", nameof(name));
                }
            }

            private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

            private static IEnumerable<FieldInfo> ComponentFields(Type type)
            {
                var chain = new Stack<Type>();
                for (var t = type; t is not null && t != typeof(Module); t = t.BaseType)
                {
                    chain.Push(t);
                }
                const BindingFlags Flags = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
                foreach (var t in chain)
                {
                    foreach (var f in t.GetFields(Flags).OrderBy(f => f.MetadataToken))
                    {
                        var ft = f.FieldType;
                        if (typeof(Module).IsAssignableFrom(ft) || ft == typeof(Parameter) || ft == typeof(Tensor))
                        {
                            yield return f;
                        }
                    }
                }
            }

            // Auto-property backing fields are named "<Name>k__BackingField": register them as "Name".
            private static string FieldName(FieldInfo f) =>
                f.IsDefined(typeof(CompilerGeneratedAttribute)) && f.Name.StartsWith('<') && f.Name.IndexOf('>', StringComparison.Ordinal) > 1
                    ? f.Name[1..f.Name.IndexOf('>', StringComparison.Ordinal)]
                    : f.Name;

            private sealed record BufferSlot(Tensor? Tensor, bool Persistent, FieldInfo? Field);
        }

        /// <summary>A module with a one-argument forward (TorchSharp's <c>Module&lt;T, TResult&gt;</c>).</summary>
        public abstract class Module<T, TResult> : Module
        {
            /// <summary>Creates a module called <paramref name="name"/> (the type name when null).</summary>
            protected Module(string? name = null) : base(name)
            {
            }

            /// <summary>The computation.</summary>
            public abstract TResult forward(T input);

            /// <summary>Runs <see cref="forward"/> (PyTorch's <c>module(x)</c>).</summary>
            public TResult call(T input) => forward(input);
        }

        /// <summary>A module with a two-argument forward.</summary>
        public abstract class Module<T1, T2, TResult> : Module
        {
            /// <summary>Creates a module called <paramref name="name"/> (the type name when null).</summary>
            protected Module(string? name = null) : base(name)
            {
            }

            /// <summary>The computation.</summary>
            public abstract TResult forward(T1 input1, T2 input2);

            /// <summary>Runs <see cref="forward"/>.</summary>
            public TResult call(T1 input1, T2 input2) => forward(input1, input2);
        }

        /// <summary>What <see cref="Module.load_state_dict"/> found missing and unexpected (only non-empty when not strict).</summary>
        /// <param name="missing_keys">Keys of the module that the dictionary lacked (left unchanged).</param>
        /// <param name="unexpected_keys">Keys of the dictionary that the module does not have (ignored).</param>
        public sealed record LoadStateDictResult(IReadOnlyList<string> missing_keys, IReadOnlyList<string> unexpected_keys);
    }
}
