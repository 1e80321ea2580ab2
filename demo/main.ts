import { describeAdapter, formatAdapterReport, formatTransforms, winograd1D } from 'winoconv';

const adapterEl = document.getElementById('adapter')!;
const transformsEl = document.getElementById('transforms')!;
const mSelect = document.getElementById('m') as HTMLSelectElement;

async function showAdapter(): Promise<void> {
  if (!navigator.gpu) {
    adapterEl.textContent = 'This browser has no WebGPU (navigator.gpu is missing). Use Chrome/Edge 113+ or enable WebGPU.';
    return;
  }
  try {
    adapterEl.textContent = formatAdapterReport(await describeAdapter(navigator.gpu), navigator.userAgent);
  } catch (e) {
    adapterEl.textContent = `No WebGPU adapter: ${(e as Error).message}`;
  }
}

function showTransforms(): void {
  transformsEl.textContent = formatTransforms(winograd1D(Number(mSelect.value), 3));
}

mSelect.addEventListener('change', showTransforms);
showTransforms();
void showAdapter();
