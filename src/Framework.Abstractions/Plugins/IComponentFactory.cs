namespace AlignFx.Abstractions.Plugins;

/// <summary>
/// Creates components named in options, for example the reward model an optimise stage's options reference.
/// The host finds the component by the kind of <c>T</c> (<see cref="ComponentKinds.KindOf"/>) and the reference's
/// name, binds its options and creates it through dependency injection.
/// </summary>
public interface IComponentFactory
{
    /// <summary>Creates the referenced component.</summary>
    /// <typeparam name="T">The contract the component must implement, for example <c>IRewardModel</c>.</typeparam>
    /// <param name="reference">The component's name and options, as written in the manifest.</param>
    /// <returns>A new instance.</returns>
    /// <exception cref="InvalidOperationException">No component of that kind and name is registered, or it does not implement <typeparamref name="T"/>.</exception>
    T Create<T>(ComponentRef reference) where T : class;
}
