/**
 * global.techdocs: where TechDocs sites are built (mkdocs in the Backstage pod, or in CI with
 * techdocs-cli) and stored, rendered into Backstage's techdocs.* configuration.
 */
import { describe, expect, it } from 'vitest';
import { render, renderError } from '../support/chart.ts';

describe('global.techdocs', () => {
  it('default: built in the pod, published to its local directory (the image keeps publishDirectory)', async () => {
    expect((await render()).appConfig().techdocs).toEqual({ builder: 'local', publisher: { type: 'local' } });
  });

  it('external builder with S3 (or an S3-compatible endpoint): Backstage only reads the bucket', async () => {
    const m = await render({ values: { global: { techdocs: { builder: 'external', publisher: { type: 'awsS3', bucketName: 'techdocs', region: 'eu-west-1', endpoint: 'https://minio.example.com' } } } } });
    expect(m.appConfig().techdocs).toEqual({ builder: 'external', publisher: { type: 'awsS3', awsS3: { bucketName: 'techdocs', region: 'eu-west-1', endpoint: 'https://minio.example.com', s3ForcePathStyle: true } } });
  });

  it('Google Cloud Storage and Azure Blob Storage, with no credential in the configuration', async () => {
    const gcs = await render({ values: { global: { techdocs: { builder: 'external', publisher: { type: 'googleGcs', bucketName: 'docs', projectId: 'p-1' } } } } });
    expect(gcs.appConfig().techdocs.publisher).toEqual({ type: 'googleGcs', googleGcs: { bucketName: 'docs', projectId: 'p-1' } });
    const az = await render({ values: { global: { techdocs: { builder: 'external', publisher: { type: 'azureBlobStorage', bucketName: 'docs', accountName: 'acct' } } } } });
    expect(az.appConfig().techdocs.publisher).toEqual({ type: 'azureBlobStorage', azureBlobStorage: { containerName: 'docs', credentials: { accountName: 'acct' } } });
  });

  it('the same in the native modes (the wiring runs in every mode)', async () => {
    const m = await render({ values: { global: { signIn: { mode: 'oidc' }, techdocs: { builder: 'external', publisher: { type: 'googleGcs', bucketName: 'docs' } } } } });
    expect(m.appConfig().techdocs.builder).toBe('external');
  });

  const refused: [string, Record<string, unknown>, RegExp][] = [
    ['an external builder with the local publisher', { builder: 'external' }, /global\.techdocs\.builder=external with global\.techdocs\.publisher\.type=local: nothing would ever publish into the pod's directory/],
    ['a bucket publisher without a bucket', { publisher: { type: 'awsS3' } }, /global\.techdocs\.publisher\.type=awsS3 needs global\.techdocs\.publisher\.bucketName/],
    ['Azure without its account', { builder: 'external', publisher: { type: 'azureBlobStorage', bucketName: 'docs' } }, /azureBlobStorage needs global\.techdocs\.publisher\.accountName/],
    ['an unknown builder', { builder: 'remote' }, /builder/],
  ];
  for (const [name, techdocs, message] of refused) {
    it(`refuses ${name}`, async () => {
      expect(await renderError({ values: { global: { techdocs } } })).toMatch(message);
    });
  }
});
