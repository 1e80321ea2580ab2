/**
 * The decision behind `winoconv ensure-browser`, the CLI's GPU verbs and the GPU test projects' global setup,
 * on injected probes (nothing on this machine is installed or removed): when WebGPU is usable, what is missing,
 * which Debian packages supply it, and when this process installs them itself.
 */
import { describe, expect, it, vi } from 'vitest';
import { ensureGpu, GpuSetupError, gpuSetupHint, planGpuSetup, type GpuProbes } from '../../../src/node/gpu-setup.ts';

const bare: GpuProbes = { platform: 'linux', chromiumLoader: false, systemLoader: false, systemIcds: [], isRoot: false, hasApt: true };
const withChromium: GpuProbes = {
  ...bare,
  chromium: '/usr/bin/chromium',
  swiftshaderIcd: '/usr/lib/chromium/vk_swiftshader_icd.json',
  chromiumLoader: true,
};
const quiet = () => undefined;

describe('planGpuSetup', () => {
  it('a bare Debian machine needs chromium (SwiftShader) and libvulkan1 for Dawn', () => {
    const plan = planGpuSetup(bare, { node: true });
    expect(plan.ok).toBe(false);
    expect(plan.packages).toEqual(['chromium', 'libvulkan1']);
    expect(plan.reasons.join('\n')).toMatch(/no Vulkan driver/);
    expect(plan.reasons.join('\n')).toMatch(/no Vulkan loader/);
    expect(plan.canInstall).toBe(false);
  });

  it('the browser always needs a Chromium', () => {
    const plan = planGpuSetup({ ...bare, systemLoader: true, systemIcds: ['/usr/share/vulkan/icd.d/nvidia_icd.json'] }, { browser: true });
    expect(plan.ok).toBe(false);
    expect(plan.packages).toEqual(['chromium']);
    expect(plan.reasons[0]).toMatch(/no Chromium or Chrome/);
  });

  it("Chromium's SwiftShader and bundled loader are enough for Dawn and the browser (no libvulkan1 needed)", () => {
    expect(planGpuSetup(withChromium, { node: true, browser: true })).toMatchObject({ ok: true, packages: [], reasons: [] });
  });

  it('a system driver and loader serve Dawn without Chromium', () => {
    const plan = planGpuSetup({ ...bare, systemLoader: true, systemIcds: ['/usr/share/vulkan/icd.d/lvp_icd.x86_64.json'] }, { node: true });
    expect(plan.ok).toBe(true);
  });

  it('a driver named by the user still needs a loader', () => {
    const plan = planGpuSetup({ ...bare, userDriver: '/opt/nv/nvidia_icd.json' }, { node: true });
    expect(plan.packages).toEqual(['libvulkan1']);
    expect(plan.reasons).toHaveLength(1);
  });

  it('installs only as root with apt-get, and not when installing is turned off', () => {
    expect(planGpuSetup({ ...bare, isRoot: true }, { node: true }).canInstall).toBe(true);
    expect(planGpuSetup({ ...bare, isRoot: true }, { node: true }, { install: false }).canInstall).toBe(false);
    expect(planGpuSetup({ ...bare, isRoot: true, hasApt: false }, { node: true }).canInstall).toBe(false);
    expect(planGpuSetup({ ...bare, isRoot: false }, { node: true }).canInstall).toBe(false);
  });

  it('outside Linux Dawn needs no Vulkan; the browser still needs Chrome', () => {
    const mac: GpuProbes = { ...bare, platform: 'darwin' };
    expect(planGpuSetup(mac, { node: true }).ok).toBe(true);
    const plan = planGpuSetup(mac, { browser: true });
    expect(plan.ok).toBe(false);
    expect(gpuSetupHint(plan, mac)).toMatch(/Install Chrome or Chromium 113/);
  });
});

describe('gpuSetupHint', () => {
  it('names exactly what to install, with sudo when not root', () => {
    const hint = gpuSetupHint(planGpuSetup(bare, { node: true, browser: true }), bare);
    expect(hint).toContain('sudo apt-get install -y --no-install-recommends chromium libvulkan1');
    expect(hint).toContain('apt-get install -y chromium-browser libvulkan1');
    expect(hint).toMatch(/run as root/);
    expect(hint).toMatch(/CHROME_PATH=.*VK_ICD_FILENAMES=/s);
  });

  it('says why it did not install as root (--no-install) and without apt-get', () => {
    const root = { ...bare, isRoot: true };
    expect(gpuSetupHint(planGpuSetup(root, { node: true }, { install: false }), root)).toMatch(/installing was turned off/);
    const noApt = { ...bare, isRoot: true, hasApt: false };
    expect(gpuSetupHint(planGpuSetup(noApt, { node: true }), noApt)).toMatch(/no apt-get here/);
  });
});

describe('ensureGpu', () => {
  it('as root with apt-get: installs what is missing, then probes again', () => {
    const probes = [{ ...bare, isRoot: true }, { ...withChromium, systemLoader: true, isRoot: true }];
    const probe = vi.fn(() => probes.shift()!);
    const installer = vi.fn();
    const log = vi.fn();
    const r = ensureGpu({ node: true, browser: true, probe, installer, log });
    expect(installer).toHaveBeenCalledOnce();
    expect(installer.mock.calls[0]![0]).toEqual(['chromium', 'libvulkan1']);
    expect(probe).toHaveBeenCalledTimes(2);
    expect(r).toMatchObject({ chromium: '/usr/bin/chromium', installed: ['chromium', 'libvulkan1'] });
  });

  it('fails clearly when the install did not help', () => {
    const probe = () => ({ ...bare, isRoot: true });
    expect(() => ensureGpu({ node: true, probe, installer: () => undefined, log: quiet })).toThrow(/installed chromium libvulkan1, but WebGPU is still not available/);
  });

  it('a failing apt-get fails the GPU step', () => {
    const probe = () => ({ ...bare, isRoot: true });
    expect(() =>
      ensureGpu({
        browser: true,
        probe,
        installer: () => {
          throw new Error('apt-get update failed with exit code 100');
        },
        log: quiet,
      }),
    ).toThrow(/apt-get update failed/);
  });

  it('not root: throws GpuSetupError with what to install and installs nothing', () => {
    const installer = vi.fn();
    let err: unknown;
    try {
      ensureGpu({ node: true, probe: () => bare, installer, log: quiet });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GpuSetupError);
    expect((err as Error).message).toContain('apt-get install -y --no-install-recommends chromium libvulkan1');
    expect(installer).not.toHaveBeenCalled();
  });

  it('a ready machine: nothing installed, one probe', () => {
    const installer = vi.fn();
    const probe = vi.fn(() => ({ ...withChromium, isRoot: true }));
    expect(ensureGpu({ node: true, browser: true, probe, installer, log: quiet })).toMatchObject({ installed: [], chromium: '/usr/bin/chromium' });
    expect(installer).not.toHaveBeenCalled();
    expect(probe).toHaveBeenCalledOnce();
  });
});
