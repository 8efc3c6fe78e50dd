{{/* The schema migration Job, run by Helm before the new pods roll out. */}}
{{- define "ledger.migrateJob" -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "ledger.fullname" . }}-migrate
  labels:
    {{- include "ledger.labels" . | nindent 4 }}
  annotations:
    "helm.sh/hook": pre-install,pre-upgrade
    "helm.sh/hook-weight": "-5"
    "helm.sh/hook-delete-policy": before-hook-creation,hook-succeeded
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: {{ include "ledger.image" . }}
          command: ["alembic", "upgrade", "head"]
          env:
            {{- toYaml .Values.env | nindent 12 }}
{{- end }}
