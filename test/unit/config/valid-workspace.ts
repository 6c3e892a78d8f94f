/** A small valid workspace used by unit tests (addresses are never contacted). */
export const validWorkspaceYaml = `version: 1
environments:
  - name: lab
    objectives: { rtoSeconds: 60, rpoSeconds: 5 }
    zone: lab.test
    sites:
      - name: primary
        role: production
        address: 127.0.0.2
        ssh: { host: 127.0.0.2, port: 2222, user: ops, privateKey: { file: /keys/id }, knownHosts: /keys/known_hosts }
        router: { kind: nginx, entryUrl: "http://127.0.0.2:15380/health", upstreamFile: /lab/upstream.conf, nginxCommand: "nginx -p /lab" }
        slots:
          - { name: blue, url: "http://127.0.0.2:15301", routerId: "127.0.0.2:15301" }
          - { name: green, url: "http://127.0.0.2:15302", routerId: "127.0.0.2:15302" }
      - name: failover
        role: failover
        address: 127.0.0.3
        ssh: { host: 127.0.0.3, port: 2222, user: ops, privateKey: { file: /keys/id }, knownHosts: /keys/known_hosts }
        router: { kind: haproxy, entryUrl: "http://127.0.0.3:15380/health", adminSocket: /lab/admin.sock, backend: be }
        slots:
          - { name: blue, url: "http://127.0.0.3:15301", routerId: blue }
    dnsProviders:
      - { name: powerdns, kind: powerdns, apiUrl: "http://127.0.0.1:15381", apiKey: { env: PDNS_API_KEY }, nameservers: ["127.0.0.1:15353"] }
      - { name: bind, kind: rfc2136, server: "127.0.0.1:15354", tsigKey: { file: /keys/tsig.key }, nameservers: ["127.0.0.1:15354"] }
    records:
      - name: app.lab.test
        type: A
        values:
          primary: 127.0.0.2
          failover: 127.0.0.3
        ttlSeconds: 30
        failoverTtlSeconds: 5
    databases:
      - { name: pg-primary, site: primary, engine: postgresql, host: 127.0.0.2, port: 15432, user: postgres, password: { env: PGPASSWORD }, viaSsh: true }
`;
