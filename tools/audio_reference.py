#!/usr/bin/python3
"""NumPy re-implementation of the librosa 0.8.0 functions momu's audio front end mirrors, and the generator of
the fixtures in tests/fixtures/audio/ (run by hand; librosa itself cannot be installed here).

LORIS (the source of the beat metrics) pins librosa==0.8.0 in its requirements.txt, so this file follows
that version: stft pads with mode='reflect', filters.mel is Slaney-normalised float32, onset_detect
normalises with min/max, util.peak_pick is the scipy-filter version. Every function names the librosa
function it mirrors. Arithmetic is float64 throughout (librosa works in float32 after the FFT); the C side
is compared with tolerances that cover that difference.

usage:
  tools/audio_reference.py fixtures OUTDIR REAL16.wav REAL22.wav   # write every fixture (see README there)
  tools/audio_reference.py logmel IN.wav OUT.npy                     # momu log-mel of a 16 kHz 16-bit WAV
  tools/audio_reference.py onsets IN.wav                             # onset times of a 22.05 kHz WAV
"""
import sys
import wave

import numpy as np

# momu constants (include/momu/audio.h)
SR, N_FFT, HOP, N_MELS, FMAX, FLOOR = 16000, 1024, 160, 80, 8000.0, 1e-5
# LORIS / librosa onset constants
O_SR, O_N_FFT, O_HOP, O_N_MELS = 22050, 2048, 512, 128


def read_wav16(path):
    """16-bit PCM mono WAV -> float64 in [-1, 1) exactly as libsndfile reads it (int / 32768)."""
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1, path
        sr = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768.0
    return x, sr


def write_wav16(path, x, sr):
    q = np.clip(np.round(x * 32768.0), -32768, 32767).astype("<i2")   # as momu_audio_write_wav
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(q.tobytes())


# ---- librosa.filters / librosa.core.convert ----------------------------------------------------------------

def hz_to_mel(f):
    """librosa.hz_to_mel(htk=False): Slaney, linear below 1 kHz, log above."""
    f = np.asanyarray(f, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    mels = f / f_sp
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-300) / min_log_hz) / logstep, mels)


def mel_to_hz(m):
    """librosa.mel_to_hz(htk=False)."""
    m = np.asanyarray(m, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filterbank(sr, n_fft, n_mels, fmin=0.0, fmax=None):
    """librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk=False, norm='slaney', dtype=np.float32)."""
    if fmax is None:
        fmax = sr / 2.0
    weights = np.zeros((n_mels, 1 + n_fft // 2), dtype=np.float32)
    fftfreqs = np.linspace(0, sr / 2.0, 1 + n_fft // 2, endpoint=True)        # librosa.fft_frequencies
    mel_f = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))  # librosa.mel_frequencies
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))   # float64 -> stored float32
    enorm = 2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels])
    weights *= enorm[:, np.newaxis]                              # float64 product, stored float32
    return weights


# ---- librosa.core.spectrum ---------------------------------------------------------------------------------

def hann(n):
    """scipy.signal.get_window('hann', n, fftbins=True): periodic Hann."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)


def stft(y, n_fft, hop, pad_mode="reflect"):
    """librosa.stft(y, n_fft, hop, window='hann', center=True, pad_mode='reflect') -> (1 + n_fft//2, frames)."""
    yp = np.pad(y, n_fft // 2, mode=pad_mode)
    n_frames = 1 + (len(yp) - n_fft) // hop                      # librosa.util.frame
    idx = np.arange(n_fft)[:, None] + hop * np.arange(n_frames)[None, :]
    return np.fft.rfft(hann(n_fft)[:, None] * yp[idx], axis=0)


def momu_logmel(y):
    """momu_logmel: magnitude STFT, Slaney mel 80 x 513, log10(max(mel, 1e-5)); returns (frames, 80)."""
    S = np.abs(stft(y, N_FFT, HOP))
    mel = mel_filterbank(SR, N_FFT, N_MELS, 0.0, FMAX).astype(np.float64) @ S
    return np.log10(np.maximum(mel, FLOOR)).T, mel.T


def power_to_db(S, amin=1e-10, top_db=80.0):
    """librosa.power_to_db(S, ref=1.0, amin=1e-10, top_db=80.0)."""
    log_spec = 10.0 * np.log10(np.maximum(amin, S))
    return np.maximum(log_spec, log_spec.max() - top_db)


# ---- librosa.onset -------------------------------------------------------------------------------------------

def onset_strength(y, sr=O_SR, aggregate=np.mean):
    """librosa.onset.onset_strength(y, sr) (lag=1, max_size=1, center=True, feature=melspectrogram)."""
    assert sr == O_SR
    S = np.abs(stft(y, O_N_FFT, O_HOP)) ** 2                                        # _spectrogram(power=2)
    S = mel_filterbank(sr, O_N_FFT, O_N_MELS).astype(np.float64) @ S                # melspectrogram
    S = power_to_db(S)
    lag = 1
    onset_env = np.maximum(0.0, S[:, lag:] - S[:, :-lag])                           # onset_strength_multi
    onset_env = aggregate(onset_env, axis=0)                                        # util.sync over all bands
    pad_width = lag + O_N_FFT // (2 * O_HOP)
    onset_env = np.pad(onset_env, (pad_width, 0), mode="constant")
    return onset_env[:S.shape[1]]


def peak_pick(x, pre_max, post_max, pre_avg, post_avg, delta, wait):
    """librosa.util.peak_pick (0.8): moving max = scipy maximum_filter1d(size pre+post, origin
    ceil((pre-post)/2), mode constant, cval min) and moving mean = uniform_filter1d(mode nearest) with
    librosa's explicit truncated mean at both ends; for pre == post both windows are x[n-pre : n+post]
    truncated at the ends, which is what is written here."""
    n = len(x)
    mov_max = np.array([x[max(0, i - pre_max):min(n, i + post_max)].max() for i in range(n)])
    mov_avg = np.array([x[max(0, i - pre_avg):min(n, i + post_avg)].mean() for i in range(n)])
    detections = x * (x == mov_max)
    detections = detections * (detections >= (mov_avg + delta))
    peaks, last_onset = [], -np.inf
    for i in np.nonzero(detections)[0]:
        if i > last_onset + wait:
            peaks.append(i)
            last_onset = i
    return np.array(peaks, dtype=np.int64)


def onset_detect(y, sr=O_SR):
    """librosa.onset.onset_detect(y, sr, wait=1, delta=0.2, pre_avg=3, post_avg=3, pre_max=3, post_max=3)
    -> (frames, envelope, margins); margins: how far each candidate sits from the thresholds (for the
    fixture README: onset times are only comparable bit-exactly when no decision is within rounding)."""
    env = onset_strength(y, sr)
    x = env - env.min()
    if not x.any():
        return np.zeros(0, dtype=np.int64), env, None
    x = x / x.max()
    frames = peak_pick(x, 3, 3, 3, 3, 0.2, 1)
    n = len(x)
    avg = np.array([x[max(0, i - 3):min(n, i + 3)].mean() for i in range(n)])
    mx = np.array([x[max(0, i - 3):min(n, i + 3)].max() for i in range(n)])
    ismax = x == mx
    margin = np.min(np.abs(x[ismax & (x > 0)] - avg[ismax & (x > 0)] - 0.2)) if (ismax & (x > 0)).any() else 1.0
    # smallest gap between a local max and the runner-up in its window (ties decide x == mov_max)
    gaps = []
    for i in np.nonzero(ismax & (x > 0))[0]:
        w = np.sort(x[max(0, i - 3):min(n, i + 3)])
        if len(w) > 1:
            gaps.append(w[-1] - w[-2])
    return frames, env, (margin, min(gaps) if gaps else 1.0)


# ---- synthetic signals ---------------------------------------------------------------------------------------

def synth(sr, seconds):
    """A linear chirp 100 Hz -> sr/2.2 at amplitude 0.3 plus unit clicks (5-sample decaying bursts) every
    0.25 s starting at 0.1 s, and a quiet 440 Hz tone; quantised to 16 bits by write_wav16."""
    t = np.arange(int(round(sr * seconds))) / sr
    f0, f1 = 100.0, sr / 2.2
    x = 0.3 * np.sin(2 * np.pi * (f0 * t + 0.5 * (f1 - f0) / seconds * t * t))
    x += 0.05 * np.sin(2 * np.pi * 440.0 * t)
    for c in np.arange(0.1, seconds - 0.01, 0.25):
        i = int(round(c * sr))
        burst = 0.6 * np.array([1.0, -0.8, 0.6, -0.4, 0.2])
        x[i:i + 5] += burst[:len(x[i:i + 5])]
    return x


def fixtures(outdir, real16, real22):
    import os
    os.makedirs(outdir, exist_ok=True)
    np.save(os.path.join(outdir, "mel_fb_16k.npy"), mel_filterbank(SR, N_FFT, N_MELS, 0.0, FMAX))
    write_wav16(os.path.join(outdir, "synth_16k.wav"), synth(SR, 1.0), SR)
    write_wav16(os.path.join(outdir, "synth_22k.wav"), synth(O_SR, 2.0), O_SR)
    for name, path in (("synth_16k", os.path.join(outdir, "synth_16k.wav")), ("real_16k", real16)):
        y, sr = read_wav16(path)
        assert sr == SR, path
        lm, mel = momu_logmel(y)
        np.save(os.path.join(outdir, name + "_logmel.npy"), np.ascontiguousarray(lm, dtype=np.float32))
        print(f"{name}: {len(y)} samples -> logmel {lm.shape}, mel range {mel.min():.3g}..{mel.max():.3g}")
    for name, path in (("synth_22k", os.path.join(outdir, "synth_22k.wav")), ("real_22k", real22)):
        y, sr = read_wav16(path)
        assert sr == O_SR, path
        frames, env, margins = onset_detect(y, sr)
        np.save(os.path.join(outdir, name + "_onset_env.npy"), env.astype(np.float32))
        np.save(os.path.join(outdir, name + "_onset_frames.npy"), frames.astype(np.float32))
        print(f"{name}: env {env.shape}, {len(frames)} onsets at frames {frames.tolist()}; "
              f"closest threshold margin {margins[0]:.3g}, closest local-max gap {margins[1]:.3g}")


def main(argv):
    if len(argv) == 5 and argv[1] == "fixtures":
        fixtures(argv[2], argv[3], argv[4])
    elif len(argv) == 4 and argv[1] == "logmel":
        y, sr = read_wav16(argv[2])
        assert sr == SR
        np.save(argv[3], np.ascontiguousarray(momu_logmel(y)[0], dtype=np.float32))
    elif len(argv) == 3 and argv[1] == "onsets":
        y, sr = read_wav16(argv[2])
        frames, _, _ = onset_detect(y, sr)
        for f in frames:
            print(f"{f * O_HOP / O_SR:.6f}")
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
