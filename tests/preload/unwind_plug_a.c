/* For test_unwind's generation test: f(cb) calls cb from a frame of
 * 4 KiB (unwind_plug_a and unwind_plug_b differ only there, so
 * that a rule of one's f taken for the other's gives other frames). */
__asm__(".text\n"
	".globl f\n.type f,@function\nf:\n.cfi_startproc\n"
	"\t.byte 0x48,0x81,0xec,0x08,0x10,0x00,0x00\n"	/* sub $N,%rsp */
	"\t.cfi_def_cfa_offset 0x1010\n"
	"\tcall *%rdi\n"
	"\t.byte 0x48,0x81,0xc4,0x08,0x10,0x00,0x00\n"	/* add $N,%rsp */
	"\t.cfi_def_cfa_offset 8\n"
	"\tret\n.cfi_endproc\n.size f,.-f\n");
