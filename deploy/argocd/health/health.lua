-- ServiceAccount health check of pullgen's Argo CD kit (argocd-cm key
-- resource.customizations.health.ServiceAccount).
--
-- imagePullSecrets is replaced whole by every apply, so a sync that applies a ServiceAccount
-- drops the pull secret OpenShift manages for it (<sa>-dockercfg-*, the internal registry's
-- credential). OpenShift 4.16 and later names that secret in the annotation
-- openshift.io/internal-registry-pull-secret-ref and adds it back to the list soon after.
-- Pods admitted before it is back get no internal-registry credential, for good. pullgen
-- puts its ServiceAccounts in an earlier sync wave than the workloads; this check keeps the
-- wave Progressing until the managed secret is listed again, so that Argo CD creates the
-- pods only then.
--
-- Argo CD runs custom health checks without Lua's standard libraries: only base, table
-- and package functions are used here.
local hs = {}
local ref = nil
if obj.metadata ~= nil and obj.metadata.annotations ~= nil then
  ref = obj.metadata.annotations["openshift.io/internal-registry-pull-secret-ref"]
end
if ref == nil or ref == "" then
  hs.status = "Healthy"
  hs.message = "No OpenShift-managed pull secret to wait for"
  return hs
end
if obj.imagePullSecrets ~= nil then
  for _, secret in ipairs(obj.imagePullSecrets) do
    if secret.name == ref then
      hs.status = "Healthy"
      hs.message = "imagePullSecrets lists the OpenShift-managed pull secret " .. ref
      return hs
    end
  end
end
hs.status = "Progressing"
hs.message = "Waiting for OpenShift to add its managed pull secret " .. ref .. " to imagePullSecrets"
return hs
