// What the adapter methods that sit on residual sites (Houlsby, Pfeiffer, parallel adapter, AdaptFormer, Compacter,
// Compacter++) check and train beside their blocks: that the backbone has the residual sites they need, and the
// backbone's norms where the paper trains them too (Houlsby, Compacter).

using PeftBench.Core.Sites;

namespace PeftBench.Methods;

internal static class ResidualAdapterSites
{
    /// <summary>One message per role the backbone has no residual site for, listing the roles it has.</summary>
    public static IEnumerable<string> MissingRoles(string methodId, IReadOnlyList<string> roles, SiteRegistry sites)
    {
        var found = sites.SelectResiduals(roles.ToArray()).Select(r => r.Role).Distinct().ToList();
        foreach (var role in roles.Except(found))
            yield return $"{methodId}: the backbone has no residual site with role '{role}' (it has: {string.Join(", ", sites.Residuals.Select(r => r.Role).Distinct())}).";
    }

    /// <summary>Parameters of every norm of the backbone (LayerNorm γ and β, RMSNorm γ).</summary>
    public static long NormParameters(SiteRegistry sites) => sites.Norms.Sum(n => n.Module.parameters().Sum(p => p.numel()));

    /// <summary>Makes every norm of the backbone trainable; they count as "other" (unfrozen backbone weights).</summary>
    public static void UnfreezeNorms(SiteRegistry sites)
    {
        foreach (var (_, norm) in sites.Norms)
            foreach (var p in norm.parameters()) p.requires_grad = true;
    }
}
