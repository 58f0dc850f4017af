-- Argo CD resource health for every kcloud kind (docs/gitops.md says how to install it).
--
-- Healthy only when the operator has reconciled the current spec: Ready=True and
-- status.observedGeneration == metadata.generation. A Ready=True left over from an older
-- generation (no manager running, or not yet reached) is Progressing, never Healthy.
-- Degraded when the operator reported a failure for the current generation (Ready=False with
-- its reason), or when the kstatus condition Stalled=True says it cannot go on. Progressing
-- while the generation lags, the kstatus condition Reconciling=True is set, the phase is
-- Pending or Provisioning, or the object is being deleted.
--
-- Argo CD runs this in gopher-lua (Lua 5.1) with only the base and table libraries open: no
-- string library, so no string methods and no string.format here.

local hs = {}

local function find(conditions, kind)
  if conditions == nil then
    return nil
  end
  for _, c in ipairs(conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

local function describe(c, fallback)
  if c == nil then
    return fallback
  end
  local text = ""
  if c.reason ~= nil and c.reason ~= "" then
    text = c.reason
  end
  if c.message ~= nil and c.message ~= "" then
    if text ~= "" then
      text = text .. ": "
    end
    text = text .. c.message
  end
  if text == "" then
    return fallback
  end
  return text
end

local generation = nil
if obj.metadata ~= nil then
  generation = obj.metadata.generation
end

-- A condition written for an older generation says nothing about the current spec.
local function current(c)
  if c == nil then
    return false
  end
  return c.observedGeneration == nil or generation == nil or c.observedGeneration == generation
end

local function isTrue(c)
  return c ~= nil and c.status == "True" and current(c)
end

local status = obj.status
if status == nil then
  hs.status = "Progressing"
  hs.message = "waiting for the kcloud operator to report a status"
  return hs
end

local ready = find(status.conditions, "Ready")
local stalled = find(status.conditions, "Stalled")
local reconciling = find(status.conditions, "Reconciling")
local phase = status.phase
local waiting = phase == "Pending" or phase == "Provisioning"

if isTrue(stalled) then
  hs.status = "Degraded"
  hs.message = describe(stalled, "stalled")
  return hs
end

if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "deleting: " .. describe(ready, "removing the backend resources")
  return hs
end

if ready ~= nil and ready.status == "False" and current(ready) and not isTrue(reconciling)
    and not waiting then
  hs.status = "Degraded"
  hs.message = describe(ready, "not ready")
  return hs
end

if isTrue(reconciling) then
  hs.status = "Progressing"
  hs.message = describe(reconciling, "reconciling")
  return hs
end

if waiting then
  hs.status = "Progressing"
  hs.message = phase .. ": " .. describe(ready, "in progress")
  return hs
end

local observed = status.observedGeneration
if generation ~= nil and (observed == nil or observed < generation) then
  hs.status = "Progressing"
  if observed == nil then
    hs.message = "generation " .. generation .. " not reconciled yet"
  else
    hs.message = "generation " .. generation .. " not reconciled yet (last reconciled: "
      .. observed .. ")"
  end
  return hs
end

if isTrue(ready) then
  hs.status = "Healthy"
  hs.message = describe(ready, "ready")
  return hs
end

hs.status = "Progressing"
hs.message = describe(ready, "waiting for the Ready condition")
return hs
