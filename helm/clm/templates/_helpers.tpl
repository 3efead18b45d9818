{{/* Names and labels ------------------------------------------------------------------ */}}

{{- define "clm.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "clm.fullname" -}}
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

{{- define "clm.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "clm.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "clm.selectorLabels" -}}
app.kubernetes.io/name: {{ include "clm.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of one component: pass (dict "ctx" $ "component" "web"). */}}
{{- define "clm.componentLabels" -}}
{{ include "clm.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "clm.componentSelector" -}}
{{ include "clm.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "clm.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "clm.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Inputs every environment must give ------------------------------------------------ */}}

{{- define "clm.credentialsSecret" -}}
{{- required "credentials.existingSecret is required: create a Secret with DATABASE_URL, REDIS_URL, JWT_SIGNING_KEY and SECRET_KEY (see docs/operations.md) and set its name" .Values.credentials.existingSecret }}
{{- end }}

{{- define "clm.baseDomain" -}}
{{- required "config.tenantBaseDomain is required: tenants are served at <slug>.<tenantBaseDomain>" .Values.config.tenantBaseDomain }}
{{- end }}

{{/*
At install time (not in offline rendering, where lookup returns nothing) check that the
Secret exists and holds the required keys, so a typo fails the release instead of the pods.
*/}}
{{- define "clm.checkSecret" -}}
{{- $name := include "clm.credentialsSecret" . }}
{{- $secret := lookup "v1" "Secret" .Release.Namespace $name }}
{{- if $secret }}
{{- range .Values.credentials.requiredKeys }}
{{- if not (hasKey ($secret.data | default dict) .) }}
{{- fail (printf "Secret %s/%s has no key %s" $.Release.Namespace $name .) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* Image -------------------------------------------------------------------------------- */}}

{{- define "clm.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Configuration ---------------------------------------------------------------------- */}}

{{/* The non-secret settings as a map; the ConfigMap and the migration Job both use it. */}}
{{- define "clm.configData" -}}
{{- $c := .Values.config }}
{{- $base := include "clm.baseDomain" . }}
{{- $hosts := prepend $c.extraAllowedHosts (printf ".%s" $base) }}
DJANGO_SETTINGS_MODULE: clm_platform.settings
DJANGO_DEBUG: "false"
ENVIRONMENT: {{ $c.environment | quote }}
ALLOWED_HOSTS: {{ join "," $hosts | quote }}
TENANT_BASE_DOMAIN: {{ $base | quote }}
SENTRY_ENVIRONMENT: {{ $c.sentryEnvironment | quote }}
STORAGE_BACKEND: {{ $c.storageBackend | quote }}
S3_BUCKET: {{ $c.s3Bucket | quote }}
S3_ENDPOINT_URL: {{ $c.s3EndpointUrl | quote }}
S3_REGION: {{ $c.s3Region | quote }}
CORS_ALLOWED_ORIGINS: {{ join "," $c.corsAllowedOrigins | quote }}
API_DOCS_ENABLED: {{ $c.apiDocsEnabled | toString | quote }}
LOG_LEVEL: {{ $c.logLevel | quote }}
DB_CONN_MAX_AGE: {{ $c.dbConnMaxAge | toString | quote }}
{{- range $key, $value := $c.extra }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{/* Credentials as env entries, one secretKeyRef per key. */}}
{{- define "clm.secretEnv" -}}
{{- $secret := include "clm.credentialsSecret" . }}
{{- range .Values.credentials.requiredKeys }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ . }}
{{- end }}
{{- range .Values.credentials.optionalKeys }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ . }}
      optional: true
{{- end }}
{{- end }}

{{/* A change of the settings changes this annotation and so rolls the pods. */}}
{{- define "clm.podAnnotations" -}}
checksum/config: {{ include "clm.configData" . | sha256sum }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Pod spec pieces ---------------------------------------------------------------------- */}}

{{- define "clm.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
fsGroup: {{ .Values.securityContext.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "clm.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "clm.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpVolumeSizeLimit }}
{{- end }}

{{- define "clm.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* Shared pod-spec fields; pass (dict "ctx" $ "component" "web"). */}}
{{- define "clm.podCommon" -}}
{{- $root := .ctx }}
{{- $component := .component }}
serviceAccountName: {{ include "clm.serviceAccountName" $root }}
# The app never calls the Kubernetes API.
automountServiceAccountToken: false
enableServiceLinks: false
securityContext:
  {{- include "clm.podSecurityContext" $root | nindent 2 }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $root.Values.topologySpread.enabled }}
topologySpreadConstraints:
  {{- range list "kubernetes.io/hostname" "topology.kubernetes.io/zone" }}
  - maxSkew: {{ $root.Values.topologySpread.maxSkew }}
    topologyKey: {{ . }}
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "clm.componentSelector" (dict "ctx" $root "component" $component) | nindent 8 }}
  {{- end }}
{{- end }}
volumes:
  {{- include "clm.tmpVolume" $root | nindent 2 }}
{{- end }}

{{/* Shared container fields: image, env, security, /tmp. */}}
{{- define "clm.containerCommon" -}}
image: {{ include "clm.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
envFrom:
  - configMapRef:
      name: {{ include "clm.fullname" . }}
securityContext:
  {{- include "clm.containerSecurityContext" . | nindent 2 }}
volumeMounts:
  {{- include "clm.tmpMount" . | nindent 2 }}
{{- end }}

{{/* HPA and PDB for a Deployment; pass (dict "ctx" $ "component" "web" "conf" .Values.web). */}}
{{- define "clm.hpa" -}}
{{- if .conf.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "clm.fullname" .ctx }}-{{ .component }}
  labels:
    {{- include "clm.componentLabels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "clm.fullname" .ctx }}-{{ .component }}
  minReplicas: {{ .conf.autoscaling.minReplicas }}
  maxReplicas: {{ .conf.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .conf.autoscaling.targetCPUUtilizationPercentage }}
  behavior:
    # Scale up at once, scale down slowly so a bursty load does not flap.
    scaleDown:
      stabilizationWindowSeconds: 300
      policies:
        - type: Percent
          value: 50
          periodSeconds: 60
{{- end }}
{{- end }}

{{- define "clm.pdb" -}}
{{- if .conf.pdb.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "clm.fullname" .ctx }}-{{ .component }}
  labels:
    {{- include "clm.componentLabels" . | nindent 4 }}
spec:
  maxUnavailable: {{ .conf.pdb.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "clm.componentSelector" . | nindent 6 }}
{{- end }}
{{- end }}
