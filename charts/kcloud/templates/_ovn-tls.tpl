{{/*
OVN's certificates (templates/ovn-tls.yaml): one Secret per component, each with tls.key,
tls.crt and ca.crt, the layout cert-manager writes. part: ca, central, manager or host.
*/}}
{{- define "kcloud.ovnTlsSecret" -}}
{{- printf "%s-ovn-tls-%s" (include "kcloud.fullname" .root) .part -}}
{{- end -}}

{{/* The names OVN central's server certificate carries: both databases' Service names. */}}
{{- define "kcloud.ovnCentralNames" -}}
{{- $names := list -}}
{{- range $db := list "nb" "sb" -}}
{{- $svc := include "kcloud.ovnService" (dict "root" $.root "db" $db) -}}
{{- $names = concat $names (list $svc (printf "%s.%s" $svc $.root.Release.Namespace) (printf "%s.%s.svc" $svc $.root.Release.Namespace) (printf "%s.%s.svc.cluster.local" $svc $.root.Release.Namespace)) -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}

{{/* Where each component's certificate is mounted. */}}
{{- define "kcloud.ovnTlsDir" -}}
/etc/kcloud/ovn-tls
{{- end -}}
