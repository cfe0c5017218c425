{{- define "kedge-cloud.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kedge-cloud.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kedge-cloud.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kedge-cloud.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kedge-cloud.labels" -}}
{{ include "kedge-cloud.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "kedge-cloud.caSecret" -}}
{{- default (printf "%s-ca" (include "kedge-cloud.fullname" .)) .Values.ca.existingSecret -}}
{{- end -}}

{{- define "kedge-cloud.tokensSecret" -}}
{{- default (printf "%s-tokens" (include "kedge-cloud.fullname" .)) .Values.tokens.existingSecret -}}
{{- end -}}
