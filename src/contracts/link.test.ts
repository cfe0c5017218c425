import { describe, expect, it } from 'vitest';
import { cloudDefaults } from '../core/config/index.js';
import { LINK_MAX_FRAME_BYTES } from './index.js';

describe('the link frame limit', () => {
  it('is the cloud config default, so both sides of the link take what the other may send', () => {
    expect(cloudDefaults().maxFrameBytes).toBe(LINK_MAX_FRAME_BYTES);
  });
});
