/**
 * Container images for the kind node, assembled locally with Docker's classic builder (no
 * `# syntax=` line, DOCKER_BUILDKIT=0: nothing is pulled). Each image is either FROM scratch plus a
 * small skeleton (passwd/group with root, nonroot 65532 and nobody, /tmp, the CA bundle of the
 * Debian rootfs), or FROM the Debian `net` rootfs when the program needs a userland (kube-proxy:
 * iptables, conntrack; kube-router: iptables, ipset).
 *
 * On the host the images are tagged `bk-kind-<name>:<version>-<hash12>`; inside the node they get
 * the names kubeadm and our manifests use (`registry.k8s.io/...`), see node-image.ts.
 */
import { chmod, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { $ } from 'zx';
import { hashInputs, imageInputs, INPUTS_LABEL, mib, run, type Log } from './util.ts';

/** Bump when the skeleton or Dockerfile shape changes. */
const IMAGES_REV = 1;

export interface ComponentImage {
  /** Short name; the host tag is bk-kind-<name>:<version>-<hash12>. */
  name: string;
  version: string;
  /** The name the node knows the image by (what kubeadm or our manifests reference). */
  nodeRef: string;
  /** 'scratch' (plus skeleton) or a Debian rootfs image reference. */
  from: 'scratch' | string;
  /** Binaries: absolute source path -> path in the image. */
  files: Record<string, string>;
  user?: string;
  entrypoint?: string[];
  /** Extra inputs that change the image (e.g. the rootfs hash). */
  extra?: Record<string, string>;
}

export interface BuiltImage {
  spec: ComponentImage;
  /** Host tag. */
  ref: string;
  built: boolean;
}

/** Passwd/group of the scratch skeleton: root, nonroot (65532) and nobody (65534). */
const PASSWD = 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n';
const GROUP = 'root:x:0:\nnonroot:x:65532:\nnobody:x:65534:\n';

export function imageRef(spec: ComponentImage, binHashes: Record<string, string>): { ref: string; hash: string } {
  const hash = hashInputs({ rev: IMAGES_REV, spec: { ...spec, files: Object.values(spec.files) }, bins: binHashes });
  return { ref: `bk-kind-${spec.name}:${spec.version}-${hash.slice(0, 12)}`, hash };
}

/**
 * Builds the image unless one with the same inputs exists. `binHashes` identifies the binaries
 * (their pinned versions), so a changed pin rebuilds; `caBundleFrom` is the rootfs image whose CA
 * bundle the scratch skeleton takes.
 */
export async function ensureImage(spec: ComponentImage, binHashes: Record<string, string>, caBundleFrom: string, log: Log): Promise<BuiltImage> {
  const { ref, hash } = imageRef(spec, { ...binHashes, ca: caBundleFrom });
  const have = await imageInputs(ref);
  if (have?.inputs === hash) {
    log(`    ${ref} is up to date (${mib(have.size)})`);
    return { spec, ref, built: false };
  }
  const ctx = await mkdtemp(path.join(os.tmpdir(), `bk-kind-image-${spec.name}-`));
  try {
    const lines: string[] = [];
    if (spec.from === 'scratch') {
      await mkdir(path.join(ctx, 'skel', 'etc'), { recursive: true });
      await mkdir(path.join(ctx, 'skel', 'tmp'), { recursive: true });
      await chmod(path.join(ctx, 'skel', 'tmp'), 0o1777);
      await mkdir(path.join(ctx, 'skel', 'home', 'nonroot'), { recursive: true });
      await writeFile(path.join(ctx, 'skel', 'etc', 'passwd'), PASSWD);
      await writeFile(path.join(ctx, 'skel', 'etc', 'group'), GROUP);
      await writeFile(path.join(ctx, 'skel', 'etc', 'nsswitch.conf'), 'hosts: files dns\n');
      lines.push(`FROM ${caBundleFrom} AS ca`, 'FROM scratch', 'COPY skel/ /', 'COPY --from=ca /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt');
      lines.push('ENV PATH=/usr/local/bin:/usr/bin:/bin');
    } else {
      lines.push(`FROM ${spec.from}`);
    }
    let i = 0;
    for (const [src, dest] of Object.entries(spec.files)) {
      const name = `f${i++}`;
      await cp(src, path.join(ctx, name));
      // COPY keeps the context file's mode: the tools cache's binaries are executable.
      lines.push(`COPY ${name} ${dest}`);
    }
    if (spec.user) lines.push(`USER ${spec.user}`);
    if (spec.entrypoint) lines.push(`ENTRYPOINT ${JSON.stringify(spec.entrypoint)}`);
    lines.push(`LABEL ${INPUTS_LABEL}=${hash}`);
    await writeFile(path.join(ctx, 'Dockerfile'), `${lines.filter(Boolean).join('\n')}\n`);
    await run(log, '', ['docker', 'build', '--quiet', '-t', ref, ctx], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    const size = (await imageInputs(ref))?.size ?? 0;
    log(`    built ${ref} (${mib(size)}) for ${spec.nodeRef}`);
    return { spec, ref, built: true };
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
}

/** Removes a host image tag (ignores a missing one). */
export async function removeImage(ref: string): Promise<void> {
  await $({ quiet: true, nothrow: true })`docker image rm ${ref}`;
}
