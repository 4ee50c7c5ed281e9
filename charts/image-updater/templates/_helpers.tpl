{{/* Chart name, truncated to the 63 characters a DNS label allows. */}}
{{- define "image-updater.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name; the release name alone when it already contains the chart name. */}}
{{- define "image-updater.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "image-updater.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "image-updater.selectorLabels" -}}
app.kubernetes.io/name: {{ include "image-updater.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "image-updater.labels" -}}
helm.sh/chart: {{ include "image-updater.chart" . }}
{{ include "image-updater.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "image-updater.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "image-updater.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository:tag, or repository@digest when a digest is given. */}}
{{- define "image-updater.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
Guards on values.config, checked wherever the ConfigMap is rendered:
- secret values have no place in a ConfigMap: a key named password, token, secret or
  private_key (without the _file / _env suffix) fails the render and names the key;
- the port the container listens on is containerPort; a different config.service.port
  would make the probes and the Service miss the application.
*/}}
{{- define "image-updater.validateConfig" -}}
{{- $rendered := toYaml .Values.config }}
{{- $found := regexFind "(?m)^[ -]*(password|token|secret|private_key|client_secret)[ ]*:" $rendered }}
{{- if $found }}
{{- fail (printf "values.config holds a secret value under key %q: store it in a Secret, reference it with credentials.* and point the matching *_file key at the mount path" (regexReplaceAll "[ :-]" $found "")) }}
{{- end }}
{{- with .Values.config.service }}
{{- if and (hasKey . "port") (ne (int .port) (int $.Values.containerPort)) }}
{{- fail (printf "values.config.service.port (%v) differs from containerPort (%v): set only containerPort" .port $.Values.containerPort) }}
{{- end }}
{{- end }}
{{- end }}
