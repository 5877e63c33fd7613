// A master copy → OpenShift: the Kubernetes export (kubernetes.ts), which already fits the
// restricted-v2 security context constraints (no host port, no privilege, no escalation, all
// capabilities dropped, RuntimeDefault seccomp, a fixed UID only where `user` names one),
// plus a Route for the gateway. Capabilities the master copy adds back stay (the application
// needs them), with a comment naming the SCC that admits them: dropping them here would print
// a copy that is not the master copy.
import type { MasterCopy } from '../mastercopy/model';
import { exportKubernetesFlavour, type ServicePorts } from './kubernetes';
import { numericUser, type ExportResult, type ExportSource } from './types';
import type { YamlObject } from './yamlOut';

export const OPENSHIFT_FILE = 'openshift.yaml';
/** The one capability restricted-v2 lets a pod add. */
const RESTRICTED_ADDS = new Set(['NET_BIND_SERVICE']);

export function exportOpenShift(mc: MasterCopy, source: ExportSource): ExportResult {
  const user = numericUser(mc.user);
  return exportKubernetesFlavour(mc, source, {
    target: 'openshift',
    fileName: OPENSHIFT_FILE,
    apply: `oc apply -f ${OPENSHIFT_FILE}`,
    header: [
      user
        ? `user ${mc.user} fixes the UID: restricted-v2 admits it only inside the namespace's UID range ` +
          '(else use the nonroot-v2 SCC).'
        : 'No fixed UID: OpenShift runs the copies under a UID of the namespace, as restricted-v2 wants.',
    ],
    refusedCapability: (cap) => !RESTRICTED_ADDS.has(cap),
    refusedCapabilityNote:
      'the restricted-v2 SCC refuses these; grant the service account an SCC that allows them (e.g. a copy ' +
      'of restricted-v2\nwith allowedCapabilities), or drop them from the master copy.',
    more: (m, service) => route(m, service),
  });
}

/** The Route: the gateway's Service port, reached over HTTPS at the router (edge TLS). */
function route(mc: MasterCopy, service: ServicePorts): YamlObject[] {
  if (!mc.gateway || service.gatewayPortName === undefined) return [];
  return [
    {
      value: {
        apiVersion: 'route.openshift.io/v1',
        kind: 'Route',
        metadata: {
          name: mc.name,
          labels: {
            'app.kubernetes.io/name': mc.name,
            'app.kubernetes.io/managed-by': 'mastercopy',
          },
        },
        spec: {
          to: { kind: 'Service', name: mc.name, weight: 100 },
          port: { targetPort: service.gatewayPortName },
          tls: { termination: 'edge', insecureEdgeTerminationPolicy: 'Redirect' },
        },
      },
      comments: [
        {
          path: ['spec', 'port'],
          text:
            `The gateway (port ${mc.gateway.port}). A Route carries HTTP; the local gateway forwards any TCP, ` +
            'so a copy that\nspeaks another protocol needs a Service of type LoadBalancer instead.',
        },
      ],
    },
  ];
}
