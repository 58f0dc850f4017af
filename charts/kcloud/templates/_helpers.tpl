{{/* Names: every object is prefixed with the release's full name. */}}
{{- define "kcloud.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kcloud.name" -}}
{{- printf "%s-%s" (include "kcloud.fullname" .root) .component -}}
{{- end -}}

{{- define "kcloud.selectorLabels" -}}
app.kubernetes.io/name: kcloud
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "kcloud.labels" -}}
{{ include "kcloud.selectorLabels" . }}
app.kubernetes.io/version: {{ include "kcloud.tag" .root | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "kcloud.tag" -}}
{{- .Values.image.tag | default .Chart.AppVersion -}}
{{- end -}}

{{/* The image of one component: kcloud-manager, kcloud-agent or kcloud-ovn. */}}
{{- define "kcloud.image" -}}
{{- printf "%s/%s:%s" .root.Values.image.registry .name (include "kcloud.tag" .root) -}}
{{- end -}}

{{/* The Service of an OVN central database (nb or sb). */}}
{{- define "kcloud.ovnService" -}}
{{- printf "%s-ovn-%s" (include "kcloud.fullname" .root) .db -}}
{{- end -}}

{{/*
An OVN central database's addresses for OVSDB clients, ssl:IP:PORT for each member, comma-
separated: the members' own Services (templates/ovn-central.yaml), so that a client reaches each
member and follows the cluster's leader itself. Built from those Services' environment
variables (kubelet expands $(VAR) from them), so neither ovn-controller in the host network nor
the manager depends on cluster DNS.
*/}}
{{- define "kcloud.ovnAddress" -}}
{{- if .root.Values.ovn.central.enabled -}}
{{- $addrs := list -}}
{{- range $m := fromJsonArray (include "kcloud.ovnCentralMembers" .) -}}
{{- $var := $m | upper | replace "-" "_" -}}
{{- $addrs = append $addrs (printf "ssl:$(%s_SERVICE_HOST):$(%s_SERVICE_PORT_%s)" $var $var (upper $.db)) -}}
{{- end -}}
{{- join "," $addrs -}}
{{- else if eq .db "nb" -}}
{{- required "ovn.nbAddress is required when ovn.central.enabled is false" .root.Values.ovn.nbAddress -}}
{{- else -}}
{{- required "ovn.sbAddress is required when ovn.central.enabled is false" .root.Values.ovn.sbAddress -}}
{{- end -}}
{{- end -}}

{{/*
OVN central's members, by their pods' (and their own Services') names: <name>-0, <name>-1, …
(`helm upgrade --reuse-values` from a release without ovn.central.replicas: one member).
*/}}
{{- define "kcloud.ovnCentralMembers" -}}
{{- $name := include "kcloud.name" (dict "root" .root "component" "ovn-central") -}}
{{- $members := list -}}
{{- range $i := until (int (.root.Values.ovn.central.replicas | default 1)) -}}
{{- $members = append $members (printf "%s-%d" $name $i) -}}
{{- end -}}
{{- toJson $members -}}
{{- end -}}

{{- define "kcloud.podSecurity" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "kcloud.restricted" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}

{{- /* "true" when the quota webhook's certificate comes from cert-manager: asked for, or auto
  and cert-manager's CRDs exist. */ -}}
{{- define "kcloud.webhookCertManager" -}}
{{- $want := .Values.manager.webhookCertificate -}}
{{- $has := .Capabilities.APIVersions.Has "cert-manager.io/v1/Certificate" -}}
{{- if and (eq $want "cert-manager") (not $has) -}}
{{- fail "manager.webhookCertificate=cert-manager needs cert-manager installed (its cert-manager.io/v1 CRDs)" -}}
{{- end -}}
{{- if or (eq $want "cert-manager") (and (eq $want "auto") $has) -}}true{{- end -}}
{{- end -}}

{{- /* "true" when the manager runs the operator .operator (manager.operators all, or named). */ -}}
{{- define "kcloud.runsOperator" -}}
{{- $operators := splitList "," .root.Values.manager.operators -}}
{{- if or (eq .root.Values.manager.operators "all") (has .operator $operators) -}}true{{- end -}}
{{- end -}}
