import { describe, expect, it } from '@jest/globals';
import { parseHypervisorMode, resolveHypervisor } from './mode.ts';

describe('--hypervisor', () => {
  it('takes kvm, tcg or auto and nothing else', () => {
    expect(parseHypervisorMode('--hypervisor', 'auto')).toBe('auto');
    expect(parseHypervisorMode('--hypervisor', 'kvm')).toBe('kvm');
    expect(parseHypervisorMode('--hypervisor', 'tcg')).toBe('tcg');
    expect(() => parseHypervisorMode('--hypervisor', 'KVM')).toThrow(
      '--hypervisor=KVM: give kvm, tcg or auto (auto probes the host with a short boot)',
    );
  });

  it('takes an operator at their word for kvm and tcg, without probing', async () => {
    const runner = () => Promise.reject(new Error('must not boot'));
    // A guest that does not exist: a probe would say so instead of answering.
    const opts = { guest: '/nonexistent', kvmDevice: '/nonexistent/kvm', runner };
    await expect(resolveHypervisor('kvm', opts)).resolves.toEqual({
      hypervisor: 'kvm',
      reason: 'set by --hypervisor=kvm',
    });
    await expect(resolveHypervisor('tcg', opts)).resolves.toEqual({
      hypervisor: 'tcg',
      reason: 'set by --hypervisor=tcg',
    });
  });

  it('probes for auto', async () => {
    const d = await resolveHypervisor('auto', {
      guest: '/nonexistent',
      kvmDevice: '/nonexistent/kvm',
    });
    expect(d).toEqual({
      hypervisor: 'tcg',
      reason: expect.stringMatching(/^no \/nonexistent\/kvm: /) as unknown as string,
    });
  });
});
