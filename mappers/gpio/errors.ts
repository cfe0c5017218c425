import { defineErrors } from '../../src/core/errors/index.js';

/** Every error the GPIO driver and its simulator raise on purpose. */
export const gpioErrors = defineErrors({
  KEDGE_GPIO_NOT_ACCESSIBLE:
    'This machine has no usable GPIO (no /sys/class/gpio, or no permission): run the mapper on the board (user in group gpio), or set KEDGE_GPIO_BACKEND=sim to use the simulator.',
  KEDGE_GPIO_OPEN_FAILED:
    'The pin could not be exported/opened; check the BCM number, that no other program holds it, and permissions.',
  KEDGE_GPIO_NO_CHIP:
    'The device configData chip names no GPIO controller of this machine, or the pin is past its lines: use a name gpiodetect lists (gpiochip0), its number, or its label.',
  KEDGE_GPIO_IO: 'Reading or writing the pin failed; kedge retries at the next collect cycle.',
  KEDGE_GPIO_NOT_WRITABLE: 'Only direction out pins can be written; an input pin is read-only.',
  KEDGE_GPIO_BAD_BACKEND: 'KEDGE_GPIO_BACKEND (or the driver option) must be sysfs or sim.',
  KEDGE_GPIO_NOT_STARTED: 'The GPIO driver was not started (or is stopped); start() it before adding devices.',
  KEDGE_GPIO_SIM:
    'The GPIO simulator control channel failed; check that kedge sim gpio runs and KEDGE_GPIO_SIM names its socket.',
});
